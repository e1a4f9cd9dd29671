package dev.upfleet.core.check;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** TEMP stub, replaced by the parser branch. */
public final class ListOrder {
    private ListOrder() {}

    public static List<String> order(List<String> names) {
        List<List<String>> buckets = new ArrayList<>();
        for (int i = 0; i < 17; i++) buckets.add(new ArrayList<>());
        for (String n : names) {
            int h = 0x811c9dc5;
            for (byte b : n.getBytes(StandardCharsets.UTF_8)) { h *= 16777619; h ^= (b & 0xff); }
            buckets.get((int) (Integer.toUnsignedLong(h) % 17)).add(n);
        }
        List<String> out = new ArrayList<>();
        buckets.forEach(out::addAll);
        return out;
    }
}
