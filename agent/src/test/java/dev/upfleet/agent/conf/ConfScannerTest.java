package dev.upfleet.agent.conf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfScannerTest {
    @TempDir
    Path dir;

    private void write(String relative) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "exec sleep 1\n");
    }

    /** Spec §8.4, §1.1: load order is libnih's directory walk, each directory sorted, sub-directories depth first. */
    @Test
    void subDirectoryJobsLoadWhereTheDirectoryNameSorts() throws IOException {
        for (String f : List.of("a.conf", "a-b.conf", "a/b.conf", "a/a/z.conf", "b.conf", "a/c.conf", "ab.conf")) {
            write(f);
        }
        assertThat(ConfScanner.scan(List.of(dir)).keySet())
                .containsExactly("a/a/z", "a/b", "a/c", "a-b", "a", "ab", "b");
    }

    @Test
    void walkOrderComparesNameByName() {
        assertThat(ConfScanner.walkOrder("a/b.conf", "a-b.conf")).isNegative();
        assertThat(ConfScanner.walkOrder("a/b.conf", "a.conf")).isNegative();
        assertThat(ConfScanner.walkOrder("a.conf", "a-b.conf")).isPositive();
        assertThat(ConfScanner.walkOrder("x/y.conf", "x/y.conf")).isZero();
        assertThat(ConfScanner.walkOrder("x/y.conf", "x/y.override")).isNegative();
    }

    @Test
    void ignoredDirectoriesAndFilesDefineNoJobs() throws IOException {
        for (String f : List.of("ok.conf", ".hidden/h.conf", "RCS/r.conf", "old~/o.conf", "x.conf~", "net/web.conf")) {
            write(f);
        }
        assertThat(ConfScanner.scan(List.of(dir)).keySet()).containsExactly("net/web", "ok");
    }

    /**
     * Spec §1.1: nih_file_ignore only prunes directories; a file counts by its extension alone (Upstart's
     * conf_dir_filter), so hidden, swap-like and backup-like names that end in .conf are jobs, a bare ".conf" is not.
     */
    @Test
    void filesAreChosenByExtensionOnly() throws IOException {
        for (String f : List.of(".hidden.conf", "#x.conf", "x~.conf", "x.dpkg-old.conf", ".conf", "sub/.conf", "y.conf.bak")) {
            write(f);
        }
        Files.writeString(dir.resolve(".hidden.override"), "manual\n");
        var found = ConfScanner.scan(List.of(dir));
        assertThat(found.keySet()).containsExactly("#x", ".hidden", "x.dpkg-old", "x~");
        assertThat(found.get(".hidden").override()).contains(dir.resolve(".hidden.override"));
    }

    /** Only regular files are jobs: a directory named like a job file is searched like any other. */
    @Test
    void aDirectoryNamedLikeAJobFileIsNoJob() throws IOException {
        write("svc.conf/inner.conf");
        Files.createDirectories(dir.resolve("empty.conf"));
        Files.createDirectories(dir.resolve(".conf"));
        assertThat(ConfScanner.scan(List.of(dir)).keySet()).containsExactly("svc.conf/inner");
    }

    /**
     * Spec §1.1 ("symlinks unsupported", man): in 1.13 the directory walk stat()s, so a link to a regular file is a
     * job, while an override must be a regular file itself (lstat); a dangling link is nothing.
     */
    @Test
    void linkedConfIsAJobLinkedOverrideIsNot() throws IOException {
        write("real/target.conf");
        Files.writeString(dir.resolve("real/target.override"), "manual\n");
        Files.createSymbolicLink(dir.resolve("linked.conf"), dir.resolve("real/target.conf"));
        Files.createSymbolicLink(dir.resolve("linked.override"), dir.resolve("real/target.override"));
        Files.createSymbolicLink(dir.resolve("dangling.conf"), dir.resolve("nowhere.conf"));
        var found = ConfScanner.scan(List.of(dir));
        assertThat(found.keySet()).containsExactly("linked", "real/target");
        assertThat(found.get("linked").override()).isEmpty();
        assertThat(found.get("real/target").override()).isPresent();
    }

    /** Spec §1.1, §1.3: the first directory owns a name; the override is the first one at or above the conf. */
    @Test
    void firstDirectoryOwnsTheNameAndLaterOnesAreFallbacks() throws IOException {
        Path high = Files.createDirectory(dir.resolve("high"));
        Path low = Files.createDirectory(dir.resolve("low"));
        Path lowest = Files.createDirectory(dir.resolve("lowest"));
        Files.writeString(high.resolve("a.conf"), "task\n");
        Files.writeString(low.resolve("a.conf"), "task\n");
        Files.writeString(low.resolve("a.override"), "task\n");
        Files.writeString(lowest.resolve("a.conf"), "task\n");
        Files.writeString(lowest.resolve("a.override"), "task\n");
        Files.writeString(lowest.resolve("b.override"), "task\n");
        var found = ConfScanner.scan(List.of(high, low, lowest));
        assertThat(found.keySet()).containsExactly("a");
        ConfScanner.Sources a = found.get("a");
        assertThat(a.conf()).isEqualTo(high.resolve("a.conf"));
        assertThat(a.override()).isEmpty();
        ConfScanner.Sources second = a.fallback().orElseThrow();
        assertThat(second.conf()).isEqualTo(low.resolve("a.conf"));
        assertThat(second.override()).contains(low.resolve("a.override"));
        ConfScanner.Sources third = second.fallback().orElseThrow();
        assertThat(third.conf()).isEqualTo(lowest.resolve("a.conf"));
        assertThat(third.override()).contains(low.resolve("a.override"));
        assertThat(third.fallback()).isEmpty();
    }

    /** Spec §1.1: exactly libnih's nih_file_ignore patterns. */
    @Test
    void ignoredNamesAreLibnihs() {
        for (String name : List.of(".hidden", ".#swap", "x~", "x.bak", "x.BAK", "#x#", "x.swp", "x.swo", "x.swn", "x,v",
                "RCS", "CVS", "CVS.adm", "SCCS", "BitKeeper", "{arch}", "_darcs", "x.dpkg-old", "x.dpkg-anything",
                "x.rpmsave", "x.rpmorig", "x.rpmnew", "x;0123abCD")) {
            assertThat(ConfScanner.ignored(name)).as(name).isTrue();
        }
        for (String name : List.of("x.conf", "x.orig", "x.rej", "x.ucf-old", "#", "x.rpmnew2", "x;0123abc", "x;0123abcde",
                "x.dpkg", "dpkg-x", "rcs", "x.Bak")) {
            assertThat(ConfScanner.ignored(name)).as(name).isFalse();
        }
    }
}
