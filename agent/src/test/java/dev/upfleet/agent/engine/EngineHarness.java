package dev.upfleet.agent.engine;

import dev.upfleet.agent.control.JobControl.InstanceStatus;
import dev.upfleet.agent.control.JobControl.JobRef;
import dev.upfleet.core.parse.JobParser;
import dev.upfleet.core.parse.ParseResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Drives one engine with a fake launcher, fake clock and fake timers, on the test thread: every input is followed by a
 * poll, as the engine loop does. Events and log lines are recorded as readable lines.
 */
final class EngineHarness {
    final FakeClock clock = new FakeClock();
    final FakeScheduler scheduler = new FakeScheduler(clock);
    final FakeLauncher launcher = new FakeLauncher();
    final List<String> events = new ArrayList<>();
    final List<String> log = new ArrayList<>();
    final Engine engine;
    final EngineCommands commands;

    EngineHarness() {
        EngineConfig config = new EngineConfig("local", List.of("PATH=/bin"), k -> null, List.of("UPFLEET_SOCKET=/s"),
                clock);
        engine = new Engine(config, launcher, scheduler, new EngineObserver() {
            @Override
            public void eventEmitted(long id, String node, String name, List<String> env) {
                events.add(env.isEmpty() ? name : name + " " + String.join(" ", env));
            }

            @Override
            public void log(LogPriority priority, String message) {
                log.add(message);
            }
        });
        commands = new EngineCommands(engine);
    }

    EngineHarness job(String name, String text) {
        switch (JobParser.parse(name, name + ".conf", text)) {
            case ParseResult.Parsed p -> engine.loadClass(p.job());
            case ParseResult.Failed f -> throw new AssertionError(f.problem().render());
        }
        return this;
    }

    CompletableFuture<InstanceStatus> start(String job, String... env) {
        CompletableFuture<InstanceStatus> reply = new CompletableFuture<>();
        run(() -> commands.start(JobRef.byName(job), List.of(env), true, reply), reply);
        return reply;
    }

    CompletableFuture<InstanceStatus> stop(String job, String... env) {
        CompletableFuture<InstanceStatus> reply = new CompletableFuture<>();
        run(() -> commands.stop(JobRef.byName(job), List.of(env), true, reply), reply);
        return reply;
    }

    CompletableFuture<InstanceStatus> restart(String job, String... env) {
        CompletableFuture<InstanceStatus> reply = new CompletableFuture<>();
        run(() -> commands.restart(JobRef.byName(job), List.of(env), true, reply), reply);
        return reply;
    }

    CompletableFuture<Void> emit(String name, String... env) {
        CompletableFuture<Void> reply = new CompletableFuture<>();
        run(() -> commands.emit(name, List.of(env), true, reply), reply);
        return reply;
    }

    String status(String job, String... env) {
        InstanceStatus s = commands.status(JobRef.byName(job), List.of(env));
        return s.goal() + "/" + s.state();
    }

    private void run(Runnable command, CompletableFuture<?> reply) {
        try {
            command.run();
        } catch (RuntimeException e) {
            reply.completeExceptionally(e);
        }
        engine.poll();
    }

    /** The live process of a job exits. */
    void exit(String job, String kind, int code) {
        long pid = launcher.pid(job, kind);
        launcher.live.remove(pid);
        engine.processExited(pid, ExitStatus.exited(code));
        engine.poll();
    }

    void kill(String job, String kind, int signal) {
        long pid = launcher.pid(job, kind);
        launcher.live.remove(pid);
        engine.processExited(pid, ExitStatus.killedBy(signal));
        engine.poll();
    }

    void advance(Duration by) {
        scheduler.advance(by, engine::poll);
    }

    /** Events recorded since the last call. */
    List<String> takeEvents() {
        List<String> out = List.copyOf(events);
        events.clear();
        return out;
    }

    List<String> takeSpawns() {
        List<String> out = List.copyOf(launcher.lines);
        launcher.lines.clear();
        return out;
    }

    Map<String, String> env(String job, String kind) {
        return Environ.toMap(launcher.request(job, kind).env());
    }
}
