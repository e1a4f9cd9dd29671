package dev.upfleet.agent;

import dev.upfleet.agent.engine.Engine;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The agent runs under systemd, not as PID 1, so it stands in for Ubuntu 14.04's boot sequence (mountall, ifup,
 * rc-sysinit, telinit): classic job files ({@code start on filesystem or runlevel [2345]}, {@code stop on
 * runlevel [!2345]}) work unchanged. Runs on the engine thread.
 */
final class BootSequence {
    /** How long an orderly stop waits for jobs (kill timeouts included) before the agent exits anyway. */
    static final long SHUTDOWN_LIMIT_SECONDS = 50;

    private BootSequence() {}

    /** The first event, unless init's {@code --startup-event} names another. */
    static final String STARTUP = "startup";
    /** A Session Init's last event. */
    static final String SESSION_END = "session-end";

    /**
     * {@code startup}, the filesystem and loopback events, then the runlevel (queued in this order); only
     * {@code startupEvent} when that is not {@code startup}, since Ubuntu's boot jobs that emit the others start on
     * {@code startup} (init's {@code --startup-event}, for testing), and in a Session Init, which has no boot to stand
     * in for. {@code settled} runs on the engine thread once all of them have finished, that is once every job they
     * started has settled.
     */
    static void boot(Engine engine, String startupEvent, boolean sessionInit, String runlevel, Runnable settled) {
        boolean standIn = !sessionInit && startupEvent.equals(STARTUP);
        List<List<String>> events = !standIn ? List.of(List.of(startupEvent)) : List.of(
                List.of(STARTUP),
                List.of("virtual-filesystems"),
                List.of("local-filesystems"),
                List.of("remote-filesystems"),
                List.of("all-swaps"),
                List.of("filesystem"),
                List.of("net-device-up", "IFACE=lo", "LOGICAL=lo", "ADDRFAM=inet", "METHOD=loopback"),
                List.of("runlevel", "RUNLEVEL=" + runlevel, "PREVLEVEL=N"));
        int[] unfinished = {events.size()};
        for (List<String> event : events) {
            engine.emitEvent(event.getFirst(), event.subList(1, event.size()), failed -> {
                if (--unfinished[0] == 0) {
                    settled.run();
                }
            });
        }
    }

    /**
     * {@code runlevel RUNLEVEL=0} and {@code shutdown} (when the boot events are on), then every remaining job's goal
     * is set to stop, so each goes through its pre-stop, kill and post-stop. {@code eventsDone} completes once the
     * shutdown events have been handled and every goal is stop.
     *
     * <p>A Session Init instead emits {@code session-end TYPE=shutdown} and stops every job at once, as Upstart's
     * quiesce does on SIGTERM; jobs that event starts are stopped too once it has been handled.
     */
    static void shutdown(Engine engine, boolean bootEvents, boolean sessionInit, String runlevel,
                         CompletableFuture<Void> eventsDone) {
        if (sessionInit) {
            engine.emitEvent(SESSION_END, List.of("TYPE=shutdown"), failed -> {
                engine.stopAll();
                eventsDone.complete(null);
            });
            engine.stopAll();
            return;
        }
        if (!bootEvents) {
            engine.stopAll();
            eventsDone.complete(null);
            return;
        }
        engine.emitEvent("runlevel", List.of("RUNLEVEL=0", "PREVLEVEL=" + runlevel), null);
        engine.emitEvent("shutdown", List.of(), failed -> {
            engine.stopAll();
            eventsDone.complete(null);
        });
    }
}
