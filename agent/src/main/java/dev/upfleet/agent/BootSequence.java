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

    /** {@code startup}, the filesystem and loopback events, then the runlevel (queued in this order). */
    static void boot(Engine engine, String runlevel) {
        engine.emitEvent("startup", List.of(), null);
        engine.emitEvent("virtual-filesystems", List.of(), null);
        engine.emitEvent("local-filesystems", List.of(), null);
        engine.emitEvent("remote-filesystems", List.of(), null);
        engine.emitEvent("all-swaps", List.of(), null);
        engine.emitEvent("filesystem", List.of(), null);
        engine.emitEvent("net-device-up", List.of("IFACE=lo", "LOGICAL=lo", "ADDRFAM=inet", "METHOD=loopback"), null);
        engine.emitEvent("runlevel", List.of("RUNLEVEL=" + runlevel, "PREVLEVEL=N"), null);
    }

    /**
     * {@code runlevel RUNLEVEL=0} and {@code shutdown} (when the boot events are on), then every remaining job's goal
     * is set to stop, so each goes through its pre-stop, kill and post-stop. {@code eventsDone} completes once the
     * shutdown events have been handled and every goal is stop.
     */
    static void shutdown(Engine engine, boolean bootEvents, String runlevel, CompletableFuture<Void> eventsDone) {
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
