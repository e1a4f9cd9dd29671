package dev.upfleet.core.parse;

import java.util.OptionalLong;

/**
 * C's {@code strtol}/{@code strtoul} as Upstart uses them: the whole token must be consumed ({@code *endptr == 0})
 * and no overflow may occur ({@code errno == 0}); leading whitespace and a sign are allowed, as in C. Values are
 * 64-bit ({@code long} on x86_64).
 */
final class CNumbers {
    private CNumbers() {}

    /** {@code strtol(s, &end, base)}; empty when errno would be set or characters are left over. */
    static OptionalLong strtol(String s, int base) {
        Digits d = digits(s, base);
        if (d == null) {
            return OptionalLong.empty();
        }
        // Magnitude must fit: up to Long.MAX_VALUE, or MAX+1 when negative.
        if (d.overflow || (!d.negative && d.magnitude < 0) || (d.negative && d.magnitude < 0 && d.magnitude != Long.MIN_VALUE)) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(d.negative ? -d.magnitude : d.magnitude);
    }

    /** {@code strtoul(s, &end, base)} as 64 unsigned bits; a leading '-' negates modulo 2^64 without an error, as in C. */
    static OptionalLong strtoul(String s, int base) {
        Digits d = digits(s, base);
        if (d == null || d.overflow) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(d.negative ? -d.magnitude : d.magnitude);
    }

    private record Digits(boolean negative, long magnitude, boolean overflow) {}

    /** Parses {@code WS* [+-] DIGITS} covering the whole string; the magnitude is unsigned 64-bit. */
    private static Digits digits(String s, int base) {
        int i = 0;
        int n = s.length();
        while (i < n && isCSpace(s.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int first = i;
        long value = 0;
        boolean overflow = false;
        for (; i < n; i++) {
            int digit = Character.digit(s.charAt(i), base);
            if (digit < 0 || s.charAt(i) > 0x7f) {
                break;
            }
            if (!overflow) {
                long hi = Math.multiplyHigh(value, base) + ((value >> 63) & base);
                long next = value * base + digit;
                if (hi != 0 || Long.compareUnsigned(next, value * base) < 0) {
                    overflow = true;
                } else {
                    value = next;
                }
            }
        }
        if (i == first || i != n) {
            return null;
        }
        return new Digits(negative, value, overflow);
    }

    private static boolean isCSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0b || c == '\f' || c == '\r';
    }
}
