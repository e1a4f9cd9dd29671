package dev.upfleet.core.dump;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import org.junit.jupiter.api.Test;

/** The canonical dump format of conformance README §1. */
class CanonicalDumpTest {
    private static String dump(String text) {
        return CanonicalDump.render(((ParseResult.Parsed) JobParser.parse("t", "t.conf", text)).job());
    }

    @Test
    void defaultsDumpAsEmpty() {
        assertThat(dump("# nothing\n")).isEmpty();
        assertThat(dump("respawn limit 10 5\nkill timeout 5\nkill signal TERM\nreload signal SIGHUP\nexpect none\n"
                + "console log\numask 022\noom score 0\nmanual\ninstance \"\"".replace("instance \"\"", ""))).isEmpty();
    }

    @Test
    void everyKeyInOrder() {
        String text = """
                nodes db-* role=web
                pre-stop exec /bin/prestop
                post-stop script
                \techo "a\\\\b"
                end script
                pre-start script
                  x
                \ty
                end script
                apparmor switch prof
                apparmor load /p
                setgid g
                setuid u
                chdir /d
                chroot /r
                limit nofile 1 2
                limit as unlimited 5
                oom never
                nice 3
                umask 0
                console none
                expect daemon
                reload signal 40
                kill timeout 7
                kill signal KILL
                normal exit 1 HUP 256 300
                respawn limit unlimited
                respawn
                task
                export E
                env A=1
                stop on b
                start on a or b and c
                emits x
                instance $I
                usage u
                version v
                author au
                description d
                exec /bin/main
                post-start exec /bin/post
                """;
        assertThat(dump(text)).isEqualTo("""
                description: d
                author: au
                version: v
                usage: u
                instance: $I
                emits: x
                start_on: ((a or b) and c)
                stop_on: b
                env: A=1
                export: E
                task: true
                respawn: true
                respawn_limit: 0 0
                normal_exit: 1 HUP HUP 300
                kill_signal: KILL
                kill_timeout: 7
                reload_signal: 40
                expect: daemon
                console: none
                umask: 0000
                nice: 3
                oom_score: -1000
                limit: as unlimited 5
                limit: nofile 1 2
                chroot: /r
                chdir: /d
                setuid: u
                setgid: g
                apparmor_load: /p
                apparmor_switch: prof
                process.main: exec /bin/main
                process.pre-start: script "  x\\n\\ty\\n"
                process.post-start: exec /bin/post
                process.pre-stop: exec /bin/prestop
                process.post-stop: script "echo \\"a\\\\\\\\b\\"\\n"
                nodes: db-* role=web
                """);
    }

    @Test
    void emptyScript() {
        assertThat(dump("script\nend script\n")).isEqualTo("process.main: script \"\"\n");
    }
}
