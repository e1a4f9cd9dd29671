package dev.upfleet.cli.initctl.lean;

import java.util.ArrayList;
import java.util.List;

/**
 * The messages of the agent's {@code upfleet.control.v1.Control} service that initctl's unary calls exchange
 * (proto/src/main/protobuf/upfleet_control.proto), as records with their wire encoding written out by hand. The
 * generated classes would do the same, but protobuf-java's class loading and descriptor set-up cost initctl more
 * start-up time than the call itself; these load nothing beyond this file, {@link ProtoWriter} and
 * {@link ProtoReader}. A field number or type changed in the .proto file must be changed here too:
 * ControlMessagesTest checks every message against the generated classes, byte for byte.
 *
 * <p>Strings are never null (proto3's default is the empty string) except the {@code optional} ones, where null
 * means absent; lists are immutable. Decoding keeps protobuf's rules: unknown fields are skipped, a repeated field
 * accumulates, a later scalar wins, and a singular message field that occurs twice is merged.
 */
public final class ControlMessages {
    private ControlMessages() {}

    private static final int VARINT = ProtoWriter.VARINT;
    private static final int LEN = ProtoWriter.LENGTH_DELIMITED;

    /** A message this client can encode. */
    public sealed interface Message permits Empty, JobRequest, LiveProcess, InstanceStatus, StatusReply, ListReply,
            EmitRequest, ClassesRequest, Leaf, ClassInfo, ClassesReply, LogPriorityRequest, LogPriorityReply,
            EnvRequest, EnvReply, VersionReply {
        void writeTo(ProtoWriter w);

        /** The message's wire form, as protobuf-java's {@code toByteArray()}. */
        default byte[] toByteArray() {
            ProtoWriter w = new ProtoWriter();
            writeTo(w);
            return w.toByteArray();
        }
    }

    public record Empty() implements Message {
        public static final Empty INSTANCE = new Empty();

        @Override
        public void writeTo(ProtoWriter w) {}

        public static Empty read(ProtoReader r) throws ProtoException {
            for (int t = r.tag(); t != 0; t = r.tag()) {
                r.skip(t);
            }
            return INSTANCE;
        }
    }

    /** {@code byInstance}: initctl inside a job naming no job, the caller's own instance, selected by name. */
    public record JobRequest(String job, boolean byInstance, String instance, List<String> env, boolean noWait)
            implements Message {
        public JobRequest {
            env = List.copyOf(env);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, job).bool(2, byInstance).string(3, instance).strings(4, env).bool(5, noWait);
        }

        public static JobRequest read(ProtoReader r) throws ProtoException {
            String job = "";
            boolean byInstance = false;
            String instance = "";
            List<String> env = new ArrayList<>();
            boolean noWait = false;
            for (int t = r.tag(); t != 0; t = r.tag()) {
                switch (t) {
                    case 1 << 3 | LEN -> job = r.string();
                    case 2 << 3 | VARINT -> byInstance = r.bool();
                    case 3 << 3 | LEN -> instance = r.string();
                    case 4 << 3 | LEN -> env.add(r.string());
                    case 5 << 3 | VARINT -> noWait = r.bool();
                    default -> r.skip(t);
                }
            }
            return new JobRequest(job, byInstance, instance, env, noWait);
        }
    }

    public record LiveProcess(String kind, long pid) implements Message {
        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, kind).int64(2, pid);
        }

        public static LiveProcess read(ProtoReader r) throws ProtoException {
            String kind = "";
            long pid = 0;
            for (int t = r.tag(); t != 0; t = r.tag()) {
                switch (t) {
                    case 1 << 3 | LEN -> kind = r.string();
                    case 2 << 3 | VARINT -> pid = r.varint();
                    default -> r.skip(t);
                }
            }
            return new LiveProcess(kind, pid);
        }
    }

    public record InstanceStatus(String job, String instance, String goal, String state, List<LiveProcess> processes)
            implements Message {
        /** What a reply without a status carries (protobuf's default instance). */
        public static final InstanceStatus DEFAULT = new InstanceStatus("", "", "", "", List.of());

        public InstanceStatus {
            processes = List.copyOf(processes);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, job).string(2, instance).string(3, goal).string(4, state);
            for (int i = 0; i < processes.size(); i++) {
                w.message(5, processes.get(i));
            }
        }

        public static InstanceStatus read(ProtoReader r) throws ProtoException {
            return read(r, DEFAULT);
        }

        /** {@code into} merged with what {@code r} holds, as protobuf's mergeFrom. */
        static InstanceStatus read(ProtoReader r, InstanceStatus into) throws ProtoException {
            String job = into.job;
            String instance = into.instance;
            String goal = into.goal;
            String state = into.state;
            List<LiveProcess> processes = new ArrayList<>(into.processes);
            for (int t = r.tag(); t != 0; t = r.tag()) {
                switch (t) {
                    case 1 << 3 | LEN -> job = r.string();
                    case 2 << 3 | LEN -> instance = r.string();
                    case 3 << 3 | LEN -> goal = r.string();
                    case 4 << 3 | LEN -> state = r.string();
                    case 5 << 3 | LEN -> processes.add(LiveProcess.read(r.message()));
                    default -> r.skip(t);
                }
            }
            return new InstanceStatus(job, instance, goal, state, processes);
        }
    }

    /** {@code status} is null when the agent sent none. */
    public record StatusReply(InstanceStatus status) implements Message {
        /** The status, or protobuf's default instance when absent (what a generated getter returns). */
        public InstanceStatus statusOrDefault() {
            return status == null ? InstanceStatus.DEFAULT : status;
        }

        @Override
        public void writeTo(ProtoWriter w) {
            if (status != null) {
                w.message(1, status);
            }
        }

        public static StatusReply read(ProtoReader r) throws ProtoException {
            InstanceStatus status = null;
            for (int t = r.tag(); t != 0; t = r.tag()) {
                if (t == (1 << 3 | LEN)) {
                    status = InstanceStatus.read(r.message(), status == null ? InstanceStatus.DEFAULT : status);
                } else {
                    r.skip(t);
                }
            }
            return new StatusReply(status);
        }
    }

    public record ListReply(List<InstanceStatus> instances) implements Message {
        public ListReply {
            instances = List.copyOf(instances);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            for (int i = 0; i < instances.size(); i++) {
                w.message(1, instances.get(i));
            }
        }

        public static ListReply read(ProtoReader r) throws ProtoException {
            List<InstanceStatus> instances = new ArrayList<>();
            for (int t = r.tag(); t != 0; t = r.tag()) {
                if (t == (1 << 3 | LEN)) {
                    instances.add(InstanceStatus.read(r.message()));
                } else {
                    r.skip(t);
                }
            }
            return new ListReply(instances);
        }
    }

    public record EmitRequest(String name, List<String> env, boolean noWait) implements Message {
        public EmitRequest {
            env = List.copyOf(env);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, name).strings(2, env).bool(3, noWait);
        }

        public static EmitRequest read(ProtoReader r) throws ProtoException {
            String name = "";
            List<String> env = new ArrayList<>();
            boolean noWait = false;
            for (int t = r.tag(); t != 0; t = r.tag()) {
                switch (t) {
                    case 1 << 3 | LEN -> name = r.string();
                    case 2 << 3 | LEN -> env.add(r.string());
                    case 3 << 3 | VARINT -> noWait = r.bool();
                    default -> r.skip(t);
                }
            }
            return new EmitRequest(name, env, noWait);
        }
    }

    /** {@code job} empty: every class. */
    public record ClassesRequest(String job) implements Message {
        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, job);
        }

        public static ClassesRequest read(ProtoReader r) throws ProtoException {
            return new ClassesRequest(onlyString(r));
        }
    }

    /** One event of an event expression: its name and arguments. */
    public record Leaf(String name, List<String> args) implements Message {
        public Leaf {
            args = List.copyOf(args);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, name).strings(2, args);
        }

        public static Leaf read(ProtoReader r) throws ProtoException {
            String name = "";
            List<String> args = new ArrayList<>();
            for (int t = r.tag(); t != 0; t = r.tag()) {
                switch (t) {
                    case 1 << 3 | LEN -> name = r.string();
                    case 2 << 3 | LEN -> args.add(r.string());
                    default -> r.skip(t);
                }
            }
            return new Leaf(name, args);
        }
    }

    /** A job class as show-config and check-config need it; {@code startOn}/{@code stopOn} null when absent. */
    public record ClassInfo(String job, List<String> emits, String startOn, String stopOn, List<Leaf> startOnLeaves,
                            List<Leaf> stopOnLeaves, String usage) implements Message {
        public ClassInfo {
            emits = List.copyOf(emits);
            startOnLeaves = List.copyOf(startOnLeaves);
            stopOnLeaves = List.copyOf(stopOnLeaves);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, job).strings(2, emits).optionalString(3, startOn).optionalString(4, stopOn);
            for (int i = 0; i < startOnLeaves.size(); i++) {
                w.message(5, startOnLeaves.get(i));
            }
            for (int i = 0; i < stopOnLeaves.size(); i++) {
                w.message(6, stopOnLeaves.get(i));
            }
            w.string(7, usage);
        }

        public static ClassInfo read(ProtoReader r) throws ProtoException {
            String job = "";
            List<String> emits = new ArrayList<>();
            String startOn = null;
            String stopOn = null;
            List<Leaf> startOnLeaves = new ArrayList<>();
            List<Leaf> stopOnLeaves = new ArrayList<>();
            String usage = "";
            for (int t = r.tag(); t != 0; t = r.tag()) {
                switch (t) {
                    case 1 << 3 | LEN -> job = r.string();
                    case 2 << 3 | LEN -> emits.add(r.string());
                    case 3 << 3 | LEN -> startOn = r.string();
                    case 4 << 3 | LEN -> stopOn = r.string();
                    case 5 << 3 | LEN -> startOnLeaves.add(Leaf.read(r.message()));
                    case 6 << 3 | LEN -> stopOnLeaves.add(Leaf.read(r.message()));
                    case 7 << 3 | LEN -> usage = r.string();
                    default -> r.skip(t);
                }
            }
            return new ClassInfo(job, emits, startOn, stopOn, startOnLeaves, stopOnLeaves, usage);
        }
    }

    public record ClassesReply(List<ClassInfo> classes) implements Message {
        public ClassesReply {
            classes = List.copyOf(classes);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            for (int i = 0; i < classes.size(); i++) {
                w.message(1, classes.get(i));
            }
        }

        public static ClassesReply read(ProtoReader r) throws ProtoException {
            List<ClassInfo> classes = new ArrayList<>();
            for (int t = r.tag(); t != 0; t = r.tag()) {
                if (t == (1 << 3 | LEN)) {
                    classes.add(ClassInfo.read(r.message()));
                } else {
                    r.skip(t);
                }
            }
            return new ClassesReply(classes);
        }
    }

    /** {@code priority} empty: only read it. */
    public record LogPriorityRequest(String priority) implements Message {
        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, priority);
        }

        public static LogPriorityRequest read(ProtoReader r) throws ProtoException {
            return new LogPriorityRequest(onlyString(r));
        }
    }

    public record LogPriorityReply(String priority) implements Message {
        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, priority);
        }

        public static LogPriorityReply read(ProtoReader r) throws ProtoException {
            return new LogPriorityReply(onlyString(r));
        }
    }

    /**
     * The global table ({@code global}) or the instance named by job and instance; {@code vars} as the command
     * needs them (a name for get-env, KEY=VALUE or KEY for set-env, names for unset-env).
     */
    public record EnvRequest(boolean global, String job, String instance, List<String> vars, boolean retain)
            implements Message {
        public EnvRequest {
            vars = List.copyOf(vars);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            w.bool(1, global).string(2, job).string(3, instance).strings(4, vars).bool(5, retain);
        }

        public static EnvRequest read(ProtoReader r) throws ProtoException {
            boolean global = false;
            String job = "";
            String instance = "";
            List<String> vars = new ArrayList<>();
            boolean retain = false;
            for (int t = r.tag(); t != 0; t = r.tag()) {
                switch (t) {
                    case 1 << 3 | VARINT -> global = r.bool();
                    case 2 << 3 | LEN -> job = r.string();
                    case 3 << 3 | LEN -> instance = r.string();
                    case 4 << 3 | LEN -> vars.add(r.string());
                    case 5 << 3 | VARINT -> retain = r.bool();
                    default -> r.skip(t);
                }
            }
            return new EnvRequest(global, job, instance, vars, retain);
        }
    }

    public record EnvReply(List<String> vars) implements Message {
        public EnvReply {
            vars = List.copyOf(vars);
        }

        @Override
        public void writeTo(ProtoWriter w) {
            w.strings(1, vars);
        }

        public static EnvReply read(ProtoReader r) throws ProtoException {
            List<String> vars = new ArrayList<>();
            for (int t = r.tag(); t != 0; t = r.tag()) {
                if (t == (1 << 3 | LEN)) {
                    vars.add(r.string());
                } else {
                    r.skip(t);
                }
            }
            return new EnvReply(vars);
        }
    }

    public record VersionReply(String version) implements Message {
        @Override
        public void writeTo(ProtoWriter w) {
            w.string(1, version);
        }

        public static VersionReply read(ProtoReader r) throws ProtoException {
            return new VersionReply(onlyString(r));
        }
    }

    /** The value of field 1 of a message whose only field is {@code string x = 1}. */
    private static String onlyString(ProtoReader r) throws ProtoException {
        String value = "";
        for (int t = r.tag(); t != 0; t = r.tag()) {
            if (t == (1 << 3 | LEN)) {
                value = r.string();
            } else {
                r.skip(t);
            }
        }
        return value;
    }
}
