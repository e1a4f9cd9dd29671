package dev.upfleet.core.check;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The order in which Upstart lists job classes (spec §8.4): libnih's hash table with 17 buckets, FNV-1 32-bit hash of
 * the name's bytes, buckets 0..16, insertion (configuration load) order inside a bucket. Pure.
 */
public final class ListOrder {
    static final int BUCKETS = 17;

    private ListOrder() {}

    public static List<String> order(List<String> namesInLoadOrder) {
        List<List<String>> buckets = new ArrayList<>(BUCKETS);
        for (int i = 0; i < BUCKETS; i++) {
            buckets.add(new ArrayList<>());
        }
        for (String name : namesInLoadOrder) {
            buckets.get(bucket(name)).add(name);
        }
        List<String> out = new ArrayList<>(namesInLoadOrder.size());
        buckets.forEach(out::addAll);
        return out;
    }

    /** FNV-1 (multiply, then XOR) over the UTF-8 bytes, offset basis 2166136261, prime 16777619. */
    public static int fnv1(String name) {
        int hash = 0x811c9dc5;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            hash *= 16777619;
            hash ^= b & 0xff;
        }
        return hash;
    }

    static int bucket(String name) {
        return Integer.remainderUnsigned(fnv1(name), BUCKETS);
    }
}
