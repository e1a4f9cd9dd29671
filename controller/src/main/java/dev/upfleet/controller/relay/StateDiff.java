package dev.upfleet.controller.relay;

import dev.upfleet.proto.control.v1.InstanceStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to write to etcd so that a node's stored job states become what it reported: the instances that are new or
 * changed, and the ones that are gone. Instances are keyed by job and instance name, as their etcd keys are.
 */
record StateDiff(List<InstanceStatus> put, List<InstanceStatus> delete) {

    /** Job and instance as one key ('\0' is in neither name). */
    static String key(InstanceStatus s) {
        return s.getJob() + '\0' + s.getInstance();
    }

    static Map<String, InstanceStatus> index(List<InstanceStatus> states) {
        Map<String, InstanceStatus> byKey = new LinkedHashMap<>();
        states.forEach(s -> byKey.put(key(s), s));
        return byKey;
    }

    /**
     * @param stored what is stored now
     * @param reported the node's complete report
     * @param rewriteAll put every reported state even if unchanged (a new session lease: old keys would expire)
     */
    static StateDiff between(Map<String, InstanceStatus> stored, Map<String, InstanceStatus> reported, boolean rewriteAll) {
        List<InstanceStatus> put = new ArrayList<>();
        for (var e : reported.entrySet()) {
            if (rewriteAll || !e.getValue().equals(stored.get(e.getKey()))) {
                put.add(e.getValue());
            }
        }
        List<InstanceStatus> delete = new ArrayList<>();
        for (var e : stored.entrySet()) {
            if (!reported.containsKey(e.getKey())) {
                delete.add(e.getValue());
            }
        }
        return new StateDiff(List.copyOf(put), List.copyOf(delete));
    }

    boolean isEmpty() {
        return put.isEmpty() && delete.isEmpty();
    }
}
