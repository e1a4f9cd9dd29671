package dev.upfleet.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstart's apparmor_available against fake kernel and parser files. */
class AppArmorTest {
    @TempDir
    Path dir;

    AppArmor probe(String enabled, boolean executable) throws Exception {
        Path flag = Files.writeString(dir.resolve("enabled"), enabled);
        Path parser = Files.writeString(dir.resolve("parser"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(parser, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
        return new AppArmor(flag, parser, List.of(dir.resolve("container_type")), dir.resolve("profiles"));
    }

    @Test
    void enabledWhenTheModuleSaysYAndTheParserIsExecutable() throws Exception {
        assertThat(probe("Y\n", true).parserIfEnabled()).contains(dir.resolve("parser").toString());
        assertThat(probe("N\n", true).parserIfEnabled()).isEmpty();
        assertThat(probe("Y\n", false).parserIfEnabled()).isEmpty();
        assertThat(AppArmor.disabled().parserIfEnabled()).isEmpty();
    }

    @Test
    void aMarkerFileDisablesIt() throws Exception {
        AppArmor probe = probe("Y\n", true);
        Files.createFile(dir.resolve("container_type"));
        assertThat(probe.parserIfEnabled()).isEmpty();
    }

    @Test
    void aProfileMissingFromAReadableListCannotBeLoaded() throws Exception {
        AppArmor probe = probe("Y\n", true);
        assertThat(probe.mayBeLoaded("web")).isTrue(); // no list to read: the child finds out
        Files.writeString(dir.resolve("profiles"), "/usr/sbin/web (enforce)\nother (complain)\n");
        assertThat(probe.mayBeLoaded("/usr/sbin/web")).isTrue();
        assertThat(probe.mayBeLoaded("other")).isTrue();
        assertThat(probe.mayBeLoaded("web")).isFalse();
    }
}
