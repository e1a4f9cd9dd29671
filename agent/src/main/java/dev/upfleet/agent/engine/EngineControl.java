package dev.upfleet.agent.engine;

import dev.upfleet.agent.control.ControlException;
import dev.upfleet.agent.control.JobControl;
import dev.upfleet.core.event.EventExpr;
import dev.upfleet.core.job.JobClass;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link JobControl} over the engine: every call is posted to the engine loop and answered from there. Also the
 * observer that feeds {@code monitor} subscribers.
 */
public final class EngineControl implements JobControl, EngineObserver {
    private static final long REQUEST_ROOM_TIMEOUT_MS = 30_000;

    private final EngineLoop loop;
    private final EngineCommands commands;
    private final Runnable reloadConfiguration;
    private final Supplier<CompletionStage<Void>> notifyDiskWriteable;
    private final List<EventListener> listeners = new CopyOnWriteArrayList<>();

    /** Without job logs to flush: notify-disk-writeable has nothing to do. */
    public EngineControl(EngineLoop loop, Runnable reloadConfiguration) {
        this(loop, reloadConfiguration, () -> CompletableFuture.completedFuture(null));
    }

    /** {@code notifyDiskWriteable}: the job logs' flush; it does not involve the engine, so it runs where it runs. */
    public EngineControl(EngineLoop loop, Runnable reloadConfiguration,
                         Supplier<CompletionStage<Void>> notifyDiskWriteable) {
        this.loop = loop;
        this.commands = new EngineCommands(loop.engine());
        this.reloadConfiguration = reloadConfiguration;
        this.notifyDiskWriteable = notifyDiskWriteable;
    }

    /** Runs {@code action} on the engine thread; it completes the future itself (possibly much later). */
    private <T> CompletionStage<T> submit(Consumer<CompletableFuture<T>> action) {
        CompletableFuture<T> reply = new CompletableFuture<>();
        // The engine completes `engineSide`; the caller hears of it only after the task that did so has ended and its
        // changes are in the state directory (EngineLoop.afterTask), so an agent killed right after a reply said
        // "running" still knows that job when it comes back.
        CompletableFuture<T> engineSide = new CompletableFuture<>();
        engineSide.whenComplete((value, failure) -> loop.afterCurrentTask(() -> {
            if (failure != null) {
                reply.completeExceptionally(failure);
            } else {
                reply.complete(value);
            }
        }));
        Runnable task = () -> {
            try {
                action.accept(engineSide);
            } catch (ControlException e) {
                engineSide.completeExceptionally(e);
            } catch (RuntimeException e) {
                engineSide.completeExceptionally(e);
                throw e;
            }
        };
        try {
            if (!loop.postRequest(task, REQUEST_ROOM_TIMEOUT_MS)) {
                reply.completeExceptionally(new ControlException("Agent is busy, try again"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply.completeExceptionally(new ControlException("Interrupted"));
        }
        return reply;
    }

    private <T> CompletionStage<T> call(Function<EngineCommands, T> action) {
        return submit(reply -> reply.complete(action.apply(commands)));
    }

    @Override
    public CompletionStage<InstanceStatus> start(JobRef ref, List<String> env, boolean wait) {
        return submit(reply -> commands.start(ref, env, wait, reply));
    }

    @Override
    public CompletionStage<InstanceStatus> stop(JobRef ref, List<String> env, boolean wait) {
        return submit(reply -> commands.stop(ref, env, wait, reply));
    }

    @Override
    public CompletionStage<InstanceStatus> restart(JobRef ref, List<String> env, boolean wait) {
        return submit(reply -> commands.restart(ref, env, wait, reply));
    }

    @Override
    public CompletionStage<Void> reload(JobRef ref, List<String> env) {
        return call(c -> {
            c.reload(ref, env);
            return null;
        });
    }

    @Override
    public CompletionStage<InstanceStatus> status(JobRef ref, List<String> env) {
        return call(c -> c.status(ref, env));
    }

    @Override
    public CompletionStage<List<InstanceStatus>> list() {
        return call(EngineCommands::list);
    }

    @Override
    public CompletionStage<Void> emit(String name, List<String> env, boolean wait) {
        return submit(reply -> commands.emit(name, env, wait, reply));
    }

    @Override
    public CompletionStage<List<ClassInfo>> classes(Optional<String> job) {
        return call(c -> {
            List<String> names = job.map(List::of).orElseGet(() -> loop.engine().classNames());
            List<ClassInfo> out = new ArrayList<>();
            for (String name : names) {
                JobClass def = c.definition(name).orElseThrow(() -> new ControlException("Unknown job: " + name));
                out.add(classInfo(def));
            }
            return out;
        });
    }

    private static ClassInfo classInfo(JobClass def) {
        return new ClassInfo(def.name(), def.emits(),
                def.startOn().map(EventExpr::toString), def.stopOn().map(EventExpr::toString),
                leaves(def.startOn()), leaves(def.stopOn()), def.usage().orElse(""));
    }

    private static List<Leaf> leaves(Optional<EventExpr> expr) {
        return expr.map(e -> e.leaves().stream().map(m -> new Leaf(m.name(), m.args())).toList()).orElse(List.of());
    }

    @Override
    public CompletionStage<Void> notifyDiskWriteable() {
        return notifyDiskWriteable.get();
    }

    @Override
    public CompletionStage<Void> reloadConfiguration() {
        return call(c -> {
            reloadConfiguration.run();
            return null;
        });
    }

    @Override
    public CompletionStage<String> logPriority(Optional<String> set) {
        return call(c -> {
            Engine engine = loop.engine();
            if (set.isPresent()) {
                engine.logPriority(LogPriority.fromWireName(set.get())
                        .orElseThrow(() -> new ControlException("The log priority given was not recognised")));
            }
            return engine.logPriority().wireName();
        });
    }

    @Override
    public CompletionStage<List<String>> listEnv(EnvScope scope) {
        return call(c -> c.listEnv(scope));
    }

    @Override
    public CompletionStage<String> getEnv(EnvScope scope, String name) {
        return call(c -> c.getEnv(scope, name));
    }

    @Override
    public CompletionStage<Void> setEnv(EnvScope scope, List<String> assignments, boolean retain) {
        return call(c -> {
            c.setEnv(scope, assignments, retain);
            return null;
        });
    }

    @Override
    public CompletionStage<Void> unsetEnv(EnvScope scope, List<String> names) {
        return call(c -> {
            c.unsetEnv(scope, names);
            return null;
        });
    }

    @Override
    public CompletionStage<Void> resetEnv(EnvScope scope) {
        return call(c -> {
            c.resetEnv(scope);
            return null;
        });
    }

    @Override
    public AutoCloseable monitor(EventListener listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public void eventEmitted(long id, String node, String name, List<String> env) {
        if (listeners.isEmpty()) {
            return;
        }
        EmittedEvent event = new EmittedEvent(id, node, name, env);
        for (EventListener l : listeners) {
            l.onEvent(event);
        }
    }
}
