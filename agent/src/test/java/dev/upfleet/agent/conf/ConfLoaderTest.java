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

    @Test
    void confErrorRemovesTheJobWhateverTheOverride() throws IOException {
        write("svc.conf", "exec\n");
        write("svc.override", "manual\n");
        new ConfLoader(List.of(dir), sink).rescan(true);
        assertThat(seen).containsExactly("problem svc.conf:1: Expected token", "remove svc");
    }
}
