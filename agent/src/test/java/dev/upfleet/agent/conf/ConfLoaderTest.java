package dev.upfleet.agent.conf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.core.job.JobClass;
import dev.upfleet.core.parse.ConfProblem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a rescan hands the engine (spec §1.3, §1.4), recorded as readable lines. */
class ConfLoaderTest {
    @TempDir
    Path dir;

    private final List<String> seen = new ArrayList<>();

    private final ConfLoader.Sink sink = new ConfLoader.Sink() {
        @Override
        public void load(JobClass job) {
            seen.add("load " + job.name() + " env=" + job.env() + " startOn=" + job.startOn().isPresent());
        }

        @Override
        public void remove(String name) {
            seen.add("remove " + name);
        }

        @Override
        public void problem(ConfProblem problem) {
            seen.add("problem " + problem.render().replace(dir + "/", ""));
        }
    };

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    /** Upstart 1.13 parses an override into the class it already registered: an error there leaves the class. */
    @Test
    void overrideErrorIsReportedAndTheClassStaysWithTheStanzasBeforeIt() throws IOException {
        write("svc.conf", "start on go\nenv A=conf\nexec sleep 1\n");
        write("svc.override", "env A=override\nbogus\nmanual\n");
        new ConfLoader(List.of(dir), sink).rescan(true);
        assertThat(seen).containsExactly("problem svc.override:2: Unknown stanza",
                "load svc env=[A=conf, A=override] startOn=true");
    }

    /**
     * Spec §1.1: the first directory defining a name owns it, but only while its file yields a class: Upstart's
     * conf_select_job takes the first directory whose file parsed, so a broken higher file leaves the lower one in
     * charge, with the override search still starting at the top directory.
     */
    @Test
    void aFirstDirectoryFileThatDoesNotParseLeavesTheNextDirectorysJob() throws IOException {
        Path high = Files.createDirectory(dir.resolve("high"));
        Path low = Files.createDirectory(dir.resolve("low"));
        Files.writeString(high.resolve("svc.conf"), "start on go\nbogus\n");
        Files.writeString(high.resolve("svc.override"), "env A=high-override\n");
        Files.writeString(low.resolve("svc.conf"), "env A=low\nexec sleep 1\n");
        ConfLoader loader = new ConfLoader(List.of(high, low), sink);
        loader.rescan(false);
        assertThat(seen).containsExactly("problem high/svc.conf:2: Unknown stanza",
                "load svc env=[A=low, A=high-override] startOn=false");

        seen.clear();
        loader.rescan(false);
        assertThat(seen).isEmpty();

        Files.writeString(low.resolve("svc.conf"), "exec\n");
        loader.rescan(false);
        assertThat(seen).containsExactly("problem high/svc.conf:2: Unknown stanza", "problem low/svc.conf:1: Expected token",
                "remove svc");

        seen.clear();
        Files.writeString(high.resolve("svc.conf"), "start on go\nexec sleep 1\n");
        loader.rescan(false);
        assertThat(seen).containsExactly("load svc env=[A=high-override] startOn=true");
    }

    /** A configuration directory that disappears takes its jobs with it at the next rescan. */
    @Test
    void aDeletedDirectoryRemovesItsJobs() throws IOException {
        Path main = Files.createDirectory(dir.resolve("main"));
        Path sub = Files.createDirectory(main.resolve("sub"));
        Files.writeString(sub.resolve("inner.conf"), "exec sleep 1\n");
        Path other = Files.createDirectory(dir.resolve("other"));
        Files.writeString(other.resolve("lone.conf"), "exec sleep 1\n");
        ConfLoader loader = new ConfLoader(List.of(main, other), sink);
        loader.rescan(false);
        seen.clear();
        Files.delete(sub.resolve("inner.conf"));
        Files.delete(sub);
        Files.delete(other.resolve("lone.conf"));
        Files.delete(other);
        loader.rescan(true);
        assertThat(seen).containsExactlyInAnyOrder("remove sub/inner", "remove lone");
    }

    @Test
    void confErrorRemovesTheJobWhateverTheOverride() throws IOException {
        write("svc.conf", "exec\n");
        write("svc.override", "manual\n");
        new ConfLoader(List.of(dir), sink).rescan(true);
        assertThat(seen).containsExactly("problem svc.conf:1: Expected token", "remove svc");
    }
}
