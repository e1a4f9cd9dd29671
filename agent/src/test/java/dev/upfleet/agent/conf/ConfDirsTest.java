package dev.upfleet.agent.conf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The default directories of a system and a User Session init (spec §1.1, §11, §12; Upstart's xdg.c). */
class ConfDirsTest {
    private static List<Path> paths(String... p) {
        return java.util.Arrays.stream(p).map(Path::of).toList();
    }

    @Test
    void userSessionSearchOrder() {
        assertThat(ConfDirs.user(Map.of("HOME", "/home/u"))).isEqualTo(paths("/home/u/.config/upstart",
                "/home/u/.init", "/etc/xdg/upstart", "/usr/share/upstart/sessions"));
        assertThat(ConfDirs.user(Map.of("HOME", "/home/u", "XDG_CONFIG_HOME", "/cfg", "XDG_CONFIG_DIRS",
                "/a::relative:/b", "UPSTART_NO_SYSTEM_USERCONFDIR", ""))).isEqualTo(paths("/cfg/upstart",
                "/home/u/.init", "/a/upstart", "/b/upstart"));
        // Relative values do not count; without HOME there is no home directory to search.
        assertThat(ConfDirs.user(Map.of("XDG_CONFIG_HOME", "cfg", "XDG_CONFIG_DIRS", "")))
                .isEqualTo(paths("/etc/xdg/upstart", "/usr/share/upstart/sessions"));
    }

    @Test
    void theSessionsOwnDirectory() {
        assertThat(ConfDirs.userConfigHome(Map.of("HOME", "/h"))).contains(Path.of("/h/.config/upstart"));
        assertThat(ConfDirs.userConfigHome(Map.of("HOME", "/h", "XDG_CONFIG_HOME", "/x"))).contains(Path.of("/x/upstart"));
        assertThat(ConfDirs.userConfigHome(Map.of())).isEmpty();
    }

    @Test
    void confdirReplacesTheDefaultsPrependAndAppendSurroundThem() {
        Map<String, String> env = Map.of("HOME", "/h", "UPSTART_NO_SYSTEM_USERCONFDIR", "1");
        assertThat(ConfDirs.resolve(List.of(), List.of(), List.of(), false, env)).isEqualTo(paths("/etc/init"));
        assertThat(ConfDirs.resolve(List.of(), paths("/p"), paths("/q"), false, env))
                .isEqualTo(paths("/p", "/etc/init", "/q"));
        assertThat(ConfDirs.resolve(paths("/c"), paths("/p"), List.of(), true, env)).isEqualTo(paths("/p", "/c"));
        assertThat(ConfDirs.resolve(List.of(), List.of(), paths("/q"), true, env))
                .isEqualTo(paths("/h/.config/upstart", "/h/.init", "/etc/xdg/upstart", "/q"));
    }

    @Test
    void logDirectory() {
        Map<String, String> env = Map.of("HOME", "/h");
        assertThat(ConfDirs.logDir(Optional.of(Path.of("/x")), true, Map.of("UPSTART_LOGDIR", "/y"))).isEqualTo(Path.of("/x"));
        assertThat(ConfDirs.logDir(Optional.empty(), true, Map.of("UPSTART_LOGDIR", "/y"))).isEqualTo(Path.of("/y"));
        assertThat(ConfDirs.logDir(Optional.empty(), true, env)).isEqualTo(Path.of("/h/.cache/upstart"));
        assertThat(ConfDirs.logDir(Optional.empty(), true, Map.of("HOME", "/h", "XDG_CACHE_HOME", "/c")))
                .isEqualTo(Path.of("/c/upstart"));
        assertThat(ConfDirs.logDir(Optional.empty(), false, env)).isEqualTo(Path.of("/var/log/upfleet"));
    }
}
