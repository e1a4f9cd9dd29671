package dev.upfleet.agent.control;

import dev.upfleet.agent.control.JobControl.EmittedEvent;
import dev.upfleet.agent.control.JobControl.EnvScope;
import dev.upfleet.agent.control.JobControl.JobRef;
import dev.upfleet.proto.control.v1.ClassInfo;
import dev.upfleet.proto.control.v1.EnvRequest;
import dev.upfleet.proto.control.v1.EventMessage;
import dev.upfleet.proto.control.v1.InstanceStatus;
import dev.upfleet.proto.control.v1.JobRequest;
import dev.upfleet.proto.control.v1.Leaf;
import dev.upfleet.proto.control.v1.LiveProcess;
import java.util.List;
import java.util.Optional;

/** Converts between the engine-facing {@link JobControl} records and the wire messages; pure functions. */
final class WireMapping {
    private WireMapping() {}

    /** {@code by_instance} names the caller's exact instance (initctl inside a job); otherwise the engine selects. */
    static JobRef jobRef(JobRequest request) {
        return request.getByInstance()
                ? new JobRef(request.getJob(), Optional.of(request.getInstance()))
                : JobRef.byName(request.getJob());
    }

    static EnvScope envScope(EnvRequest request) {
        return request.getGlobal() ? new EnvScope.Global() : new EnvScope.Instance(request.getJob(), request.getInstance());
    }

    static InstanceStatus status(JobControl.InstanceStatus status) {
        InstanceStatus.Builder b = InstanceStatus.newBuilder()
                .setJob(status.job())
                .setInstance(nullToEmpty(status.instance()))
                .setGoal(status.goal())
                .setState(status.state());
        for (JobControl.LiveProcess p : status.processes()) {
            b.addProcesses(LiveProcess.newBuilder().setKind(p.kind()).setPid(p.pid()));
        }
        return b.build();
    }

    static ClassInfo classInfo(JobControl.ClassInfo info) {
        ClassInfo.Builder b = ClassInfo.newBuilder()
                .setJob(info.job())
                .addAllEmits(info.emits())
                .setUsage(nullToEmpty(info.usage()));
        info.startOn().ifPresent(b::setStartOn);
        info.stopOn().ifPresent(b::setStopOn);
        info.startOnLeaves().forEach(l -> b.addStartOnLeaves(leaf(l)));
        info.stopOnLeaves().forEach(l -> b.addStopOnLeaves(leaf(l)));
        return b.build();
    }

    static EventMessage event(EmittedEvent event) {
        return EventMessage.newBuilder()
                .setId(event.id())
                .setNode(nullToEmpty(event.node()))
                .setName(event.name())
                .addAllEnv(event.env())
                .build();
    }

    private static Leaf leaf(JobControl.Leaf leaf) {
        return Leaf.newBuilder().setName(leaf.name()).addAllArgs(leaf.args()).build();
    }

    static List<String> env(List<String> env) {
        return List.copyOf(env);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
