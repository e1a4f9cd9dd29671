package dev.upfleet.functional;

import static org.assertj.core.api.Assertions.assertThat;

import dev.upfleet.functional.harness.AgentProcess;
import dev.upfleet.functional.harness.Initctl;
import dev.upfleet.functional.harness.Project;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/service} as Ubuntu 14.04's for Upstart jobs (spec §8.8): the job's own launchers, a restart that picks up
 * an edited job file, and the fallback to an init script for a name the agent does not know.
 */
class ServiceIT {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final String USAGE =
            "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n";

    private static Initctl service(AgentProcess agent, Path initd, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Project.bin("service").toString()));
        cmd.addAll(List.of(args));
        return Project.run(cmd, Map.of("UPFLEET_SOCKET", agent.socket().toString(), "UPFLEET_INITD", initd.toString(),
                "UPFLEET_FT_MARKER", agent.marker().substring(agent.marker().indexOf('=') + 1)), LIMIT);
    }

    @Test
    void drivesAgentJobsAndFallsBackToInitScripts() throws IOException {
        try (AgentProcess agent = AgentProcess.start(AgentProcess.Options.quiet(), a -> {
            a.writeJob("web", "env GREETING=one\nexec sleep 1081\n");
        })) {
            Path initd = Files.createDirectories(agent.dir().resolve("init.d"));
            Path legacy = initd.resolve("legacy");
            Files.writeString(legacy, "#!/bin/sh\necho \"legacy $*\"\n");
            Files.setPosixFilePermissions(legacy, PosixFilePermissions.fromString("rwxr-xr-x"));

            Initctl started = service(agent, initd, "web", "start");
            assertThat(started.rc()).as("%s", started).isZero();
            assertThat(started.out()).matches("web start/running, process \\d+\n");
            long first = agent.mainPid("web");

            Initctl status = service(agent, initd, "web", "status");
            assertThat(status.out()).isEqualTo("web start/running, process " + first + "\n");

            // restart is stop || true, then start: the new process runs the edited file, unlike initctl restart
            agent.writeJob("web", "env GREETING=two\nexec sleep 1082\n");
            assertThat(agent.initctl("reload-configuration").rc()).isZero(); // not left to the watch's timing
            Initctl restarted = service(agent, initd, "web", "restart");
            assertThat(restarted.rc()).as("%s", restarted).isZero();
            assertThat(restarted.out()).matches("web stop/waiting\nweb start/running, process \\d+\n");
            long second = agent.mainPid("web");
            assertThat(second).isNotEqualTo(first);
            assertThat(Files.readString(Path.of("/proc/" + second + "/cmdline"))).isEqualTo("sleep\u00001082\u0000");

            Initctl unknownAction = service(agent, initd, "web", "bogus");
            assertThat(unknownAction).extracting(Initctl::rc, Initctl::err)
                    .containsExactly(1, "service: web: unknown action: bogus\n");

            Initctl stopped = service(agent, initd, "web", "stop");
            assertThat(stopped.out()).isEqualTo("web stop/waiting\n");

            assertThat(service(agent, initd, "legacy", "start")).extracting(Initctl::rc, Initctl::out)
                    .containsExactly(0, "legacy start\n");
            assertThat(service(agent, initd, "nothing", "start")).extracting(Initctl::rc, Initctl::err)
                    .containsExactly(1, "nothing: unrecognized service\n");
            assertThat(service(agent, initd)).extracting(Initctl::rc, Initctl::err).containsExactly(1, USAGE);
            assertThat(service(agent, initd, "--help")).extracting(Initctl::rc, Initctl::err).containsExactly(1, USAGE);
        }
    }
}
