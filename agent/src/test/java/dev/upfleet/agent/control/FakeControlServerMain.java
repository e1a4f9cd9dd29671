package dev.upfleet.agent.control;

import dev.upfleet.agent.control.JobControl.ClassInfo;
import dev.upfleet.agent.control.JobControl.InstanceStatus;
import dev.upfleet.agent.control.JobControl.Leaf;
import dev.upfleet.agent.control.JobControl.LiveProcess;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * A throw-away agent for timing and AOT training of initctl: a {@link ControlServer} on the given socket with a
 * {@link FakeJobControl} holding a few jobs ({@code svc} running, {@code web} instances, {@code idle}). Runs until
 * killed. Usage: {@code FakeControlServerMain SOCKET}.
 */
public final class FakeControlServerMain {
    private FakeControlServerMain() {}

    public static FakeJobControl sampleJobs() {
        FakeJobControl fake = new FakeJobControl()
                .job(new ClassInfo("svc", List.of("svc-ready"), Optional.of("(startup or net-up)"),
                        Optional.of("runlevel [016]"),
                        List.of(new Leaf("startup", List.of()), new Leaf("net-up", List.of())),
                        List.of(new Leaf("runlevel", List.of("[016]"))), "svc [OPTS]"), null)
                .job("web", "PORT")
                .job("idle", null);
        fake.instance(new InstanceStatus("svc", "", "start", "running", List.of(new LiveProcess("main", 4242))));
        fake.instance(new InstanceStatus("web", "80", "start", "running", List.of(new LiveProcess("main", 4243))));
        return fake;
    }

    public static void main(String[] args) throws Exception {
        ControlServer server = new ControlServer(Path.of(args[0]), sampleJobs());
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        System.out.println("ready " + server.socket());
        System.out.flush();
        stop.await();
    }
}
