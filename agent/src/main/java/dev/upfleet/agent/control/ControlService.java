package dev.upfleet.agent.control;

import dev.upfleet.agent.control.RequestCheck.InvalidRequest;
import dev.upfleet.proto.control.v1.ClassesReply;
import dev.upfleet.proto.control.v1.ClassesRequest;
import dev.upfleet.proto.control.v1.ControlGrpc;
import dev.upfleet.proto.control.v1.EmitRequest;
import dev.upfleet.proto.control.v1.Empty;
import dev.upfleet.proto.control.v1.EnvReply;
import dev.upfleet.proto.control.v1.EnvRequest;
import dev.upfleet.proto.control.v1.EventMessage;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.ListReply;
import dev.upfleet.proto.control.v1.LogPriorityReply;
import dev.upfleet.proto.control.v1.LogPriorityRequest;
import dev.upfleet.proto.control.v1.StatusReply;
import dev.upfleet.proto.control.v1.VersionReply;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Control gRPC service: checks each request, calls {@link JobControl}, and maps the outcome to a reply or a
 * {@link Status} in one place ({@link #statusOf}). Handlers run on the transport thread (JobControl never blocks);
 * replies are sent from whichever thread completes the engine's stage.
 */
final class ControlService extends ControlGrpc.ControlImplBase {
    static final String VERSION = "init (upstart 1.13.2)";

    private final JobControl control;
    private final CallerPolicy policy;
    private final int monitorCapacity;
    private final Set<MonitorSubscription> monitors = ConcurrentHashMap.newKeySet();

    ControlService(JobControl control, CallerPolicy policy, int monitorCapacity) {
        this.control = control;
        this.policy = policy;
        this.monitorCapacity = monitorCapacity;
    }

    @Override
    public void start(JobRequest r, StreamObserver<StatusReply> out) {
        jobCall(r, out, true, () -> control.start(WireMapping.jobRef(r), r.getEnvList(), wait(r)));
    }

    @Override
    public void stop(JobRequest r, StreamObserver<StatusReply> out) {
        jobCall(r, out, true, () -> control.stop(WireMapping.jobRef(r), r.getEnvList(), wait(r)));
    }

    @Override
    public void restart(JobRequest r, StreamObserver<StatusReply> out) {
        jobCall(r, out, true, () -> control.restart(WireMapping.jobRef(r), r.getEnvList(), wait(r)));
    }

    @Override
    public void status(JobRequest r, StreamObserver<StatusReply> out) {
        jobCall(r, out, false, () -> control.status(WireMapping.jobRef(r), r.getEnvList()));
    }

    @Override
    public void reload(JobRequest r, StreamObserver<Empty> out) {
        reply(out, () -> {
            checkJob(r, true);
            return control.reload(WireMapping.jobRef(r), r.getEnvList());
        }, v -> Empty.getDefaultInstance());
    }

    @Override
    public void list(Empty r, StreamObserver<ListReply> out) {
        reply(out, control::list, list -> {
            ListReply.Builder b = ListReply.newBuilder();
            list.forEach(s -> b.addInstances(WireMapping.status(s)));
            return b.build();
        });
    }

    @Override
    public void emit(EmitRequest r, StreamObserver<Empty> out) {
        reply(out, () -> {
            RequestCheck.name(r.getName());
            RequestCheck.env(r.getEnvList());
            policy.checkModify("You do not have permission to emit an event");
            return control.emit(r.getName(), r.getEnvList(), !r.getNoWait());
        }, v -> Empty.getDefaultInstance());
    }

    @Override
    public void classes(ClassesRequest r, StreamObserver<ClassesReply> out) {
        reply(out, () -> control.classes(r.getJob().isEmpty() ? Optional.empty() : Optional.of(r.getJob())), list -> {
            ClassesReply.Builder b = ClassesReply.newBuilder();
            list.forEach(c -> b.addClasses(WireMapping.classInfo(c)));
            return b.build();
        });
    }

    @Override
    public void reloadConfiguration(Empty r, StreamObserver<Empty> out) {
        modifyingCall(out, "You do not have permission to reload configuration", control::reloadConfiguration);
    }

    @Override
    public void logPriority(LogPriorityRequest r, StreamObserver<LogPriorityReply> out) {
        reply(out, () -> {
            RequestCheck.logPriority(r.getPriority());
            if (!r.getPriority().isEmpty()) {
                policy.checkModify("You do not have permission to set log priority");
            }
            return control.logPriority(r.getPriority().isEmpty() ? Optional.empty() : Optional.of(r.getPriority()));
        }, p -> LogPriorityReply.newBuilder().setPriority(p).build());
    }

    @Override
    public void listEnv(EnvRequest r, StreamObserver<EnvReply> out) {
        reply(out, () -> control.listEnv(scope(r)), vars -> EnvReply.newBuilder().addAllVars(vars).build());
    }

    @Override
    public void getEnv(EnvRequest r, StreamObserver<EnvReply> out) {
        reply(out, () -> {
            RequestCheck.variables(r.getVarsList());
            if (r.getVarsCount() != 1) {
                throw new InvalidRequest("get-env takes exactly one variable name");
            }
            return control.getEnv(scope(r), r.getVars(0));
        }, v -> EnvReply.newBuilder().addVars(v).build());
    }

    @Override
    public void setEnv(EnvRequest r, StreamObserver<Empty> out) {
        reply(out, () -> {
            RequestCheck.variables(r.getVarsList());
            return control.setEnv(modifyScope(r), r.getVarsList(), r.getRetain());
        }, v -> Empty.getDefaultInstance());
    }

    @Override
    public void unsetEnv(EnvRequest r, StreamObserver<Empty> out) {
        reply(out, () -> {
            RequestCheck.variables(r.getVarsList());
            return control.unsetEnv(modifyScope(r), r.getVarsList());
        }, v -> Empty.getDefaultInstance());
    }

    @Override
    public void resetEnv(EnvRequest r, StreamObserver<Empty> out) {
        reply(out, () -> control.resetEnv(modifyScope(r)), v -> Empty.getDefaultInstance());
    }

    @Override
    public void notifyDiskWriteable(Empty r, StreamObserver<Empty> out) {
        modifyingCall(out, "You do not have permission to notify disk is writeable", control::notifyDiskWriteable);
    }

    /** A call that changes the agent and replies with nothing: refused with {@code denied} to unprivileged callers. */
    private <T> void modifyingCall(StreamObserver<Empty> out, String denied, Supplier<CompletionStage<T>> call) {
        reply(out, () -> {
            policy.checkModify(denied);
            return call.get();
        }, v -> Empty.getDefaultInstance());
    }

    @Override
    public void version(Empty r, StreamObserver<VersionReply> out) {
        out.onNext(VersionReply.newBuilder().setVersion(VERSION).build());
        out.onCompleted();
    }

    @Override
    public void monitor(Empty r, StreamObserver<EventMessage> out) {
        MonitorSubscription sub = new MonitorSubscription((ServerCallStreamObserver<EventMessage>) out, monitorCapacity);
        monitors.add(sub);
        ((ServerCallStreamObserver<EventMessage>) out).setOnCloseHandler(() -> monitors.remove(sub));
        try {
            sub.start(control);
        } catch (RuntimeException e) {
            monitors.remove(sub);
            out.onError(statusOf(e).asRuntimeException());
        }
    }

    /** Ends every monitor stream; called before the server shuts down so that clients see a status, not a reset. */
    void shutdownMonitors() {
        monitors.forEach(MonitorSubscription::shutdown);
        monitors.clear();
    }

    private JobControl.EnvScope modifyScope(EnvRequest r) {
        JobControl.EnvScope scope = scope(r);
        policy.checkModify("You do not have permission to modify job environment");
        return scope;
    }

    private static JobControl.EnvScope scope(EnvRequest r) {
        if (!r.getGlobal()) {
            RequestCheck.name(r.getJob());
        }
        return WireMapping.envScope(r);
    }

    private static boolean wait(JobRequest r) {
        return !r.getNoWait() && !r.getByInstance(); // inside a job initctl never waits: it would deadlock the job
    }

    private void checkJob(JobRequest r, boolean modifies) {
        RequestCheck.name(r.getJob());
        RequestCheck.env(r.getEnvList());
        if (modifies) {
            policy.checkModify("You do not have permission to modify job: " + r.getJob());
        }
    }

    private void jobCall(JobRequest r, StreamObserver<StatusReply> out, boolean modifies,
                         Supplier<CompletionStage<JobControl.InstanceStatus>> call) {
        reply(out, () -> {
            checkJob(r, modifies);
            return call.get();
        }, s -> StatusReply.newBuilder().setStatus(WireMapping.status(s)).build());
    }

    /** Runs the call, then sends its mapped result or the status of its failure; never throws. */
    private static <T, R> void reply(StreamObserver<R> out, Supplier<CompletionStage<T>> call, Function<T, R> map) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            out.onError(statusOf(e).asRuntimeException());
            return;
        }
        stage.whenComplete((value, failure) -> {
            if (failure != null) {
                out.onError(statusOf(failure).asRuntimeException());
                return;
            }
            R reply;
            try {
                reply = map.apply(value);
            } catch (RuntimeException e) {
                out.onError(statusOf(e).asRuntimeException());
                return;
            }
            out.onNext(reply);
            out.onCompleted();
        });
    }

    /** The one place where failures become gRPC statuses. */
    static Status statusOf(Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return switch (t) {
            case ControlException e -> Status.FAILED_PRECONDITION.withDescription(e.getMessage());
            case InvalidRequest e -> Status.INVALID_ARGUMENT.withDescription(e.getMessage());
            case CallerPolicy.PermissionDenied e -> Status.PERMISSION_DENIED.withDescription(e.getMessage());
            case StatusRuntimeException e -> e.getStatus();
            case StatusException e -> e.getStatus();
            default -> Status.INTERNAL.withDescription("Internal error: " + t).withCause(t);
        };
    }

}
