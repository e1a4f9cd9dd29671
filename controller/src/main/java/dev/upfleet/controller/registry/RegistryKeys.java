package dev.upfleet.controller.registry;

import java.util.Objects;

/**
 * The etcd key layout of {@link Registry}, shared by both implementations so the fake and etcd agree byte for byte.
 * Event sequence numbers are zero-padded to 20 digits (an unsigned 64-bit number has at most 20) so that keys of one
 * origin sort in sequence order.
 */
record RegistryKeys(String prefix) {
    static final String DEFAULT_PREFIX = "/upfleet/";

    RegistryKeys {
        Objects.requireNonNull(prefix, "prefix");
        if (!prefix.endsWith("/")) {
            throw new IllegalArgumentException("registry prefix must end with '/': " + prefix);
        }
    }

    String nodes() {
        return prefix + "nodes/";
    }

    String node(String name) {
        return nodes() + requireName(name);
    }

    String jobs() {
        return prefix + "jobs/";
    }

    String job(String name) {
        return jobs() + requireName(name);
    }

    String events() {
        return prefix + "events/";
    }

    String event(String origin, long seq) {
        return events() + requireName(origin) + "/" + pad(seq);
    }

    String membership() {
        return prefix + "membership";
    }

    String leader() {
        return prefix + "leader";
    }

    String states(String node) {
        return prefix + "state/" + requireName(node) + "/";
    }

    String allStates() {
        return prefix + "state/";
    }

    /** Job and instance names may hold '/' (jobs in subdirectories, any instance value): escaped, so keys stay two levels. */
    String state(String node, String job, String instance) {
        return states(node) + escape(job) + "/" + escape(instance);
    }

    String commands() {
        return prefix + "commands/";
    }

    String command(String node, String id) {
        return commands() + requireName(node) + "/" + requireName(id);
    }

    String result(String id) {
        return prefix + "results/" + requireName(id);
    }

    static String escape(String s) {
        return s.replace("%", "%25").replace("/", "%2F");
    }

    /** The part of {@code key} after {@code folder} (which must be one of the folders above). */
    static String nameIn(String folder, String key) {
        if (!key.startsWith(folder)) {
            throw new IllegalArgumentException(key + " is not under " + folder);
        }
        return key.substring(folder.length());
    }

    /** The first name after {@code folder} in {@code key}: the node of {@code state/NODE/...} or {@code commands/NODE/ID}. */
    static String firstNameIn(String folder, String key) {
        String rest = nameIn(folder, key);
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }

    static String pad(long unsignedSeq) {
        String digits = Long.toUnsignedString(unsignedSeq);
        return "0".repeat(20 - digits.length()) + digits;
    }

    private static String requireName(String name) {
        // A '/' would let one node's keys shadow another's folder (events/a/b/SEQ vs events/a/SEQ).
        if (name == null || name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("bad registry name: '" + name + "'");
        }
        return name;
    }
}
