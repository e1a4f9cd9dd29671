package dev.upfleet.core.event;

/**
 * {@code fnmatch(pattern, value, 0)} as glibc does it for Upstart's event matching (spec §4.3): {@code *}, {@code ?},
 * bracket expressions ({@code [abc]}, {@code [a-z]}, {@code [!x]}, {@code [^x]}, {@code [[:digit:]]}), backslash
 * escapes. With flags 0, {@code *} and {@code ?} also match {@code /} and leading dots. Matching backtracks only to
 * the most recent {@code *}, so time is O(pattern × value) at worst, never exponential.
 */
public final class Glob {
    private Glob() {}

    public static boolean matches(String pattern, String value) {
        int p = 0;
        int v = 0;
        int starP = -1;
        int starV = -1;
        while (v < value.length()) {
            int next = p < pattern.length() ? step(pattern, p, value.charAt(v)) : NO;
            if (next == STAR) {
                starP = ++p;
                starV = v;
                continue;
            }
            if (next >= 0) {
                p = next;
                v++;
                continue;
            }
            if (starP < 0) {
                return false;
            }
            p = starP;
            v = ++starV;
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }

    private static final int NO = -1;
    private static final int STAR = -2;

    /** Matches one pattern element at {@code p} against {@code c}: the position after it, {@link #NO}, or {@link #STAR}. */
    private static int step(String pat, int p, char c) {
        char pc = pat.charAt(p);
        switch (pc) {
            case '*':
                return STAR;
            case '?':
                return p + 1;
            case '\\':
                if (p + 1 >= pat.length()) {
                    return NO; // a trailing backslash matches nothing (glibc)
                }
                return pat.charAt(p + 1) == c ? p + 2 : NO;
            case '[': {
                int end = bracketEnd(pat, p);
                if (end < 0) {
                    return c == '[' ? p + 1 : NO; // no closing ']': a literal '['
                }
                return bracketMatches(pat, p + 1, end, c) ? end + 1 : NO;
            }
            default:
                return pc == c ? p + 1 : NO;
        }
    }

    /** Index of the ']' closing the bracket expression opened at {@code open}, or -1. */
    private static int bracketEnd(String pat, int open) {
        int i = open + 1;
        if (i < pat.length() && (pat.charAt(i) == '!' || pat.charAt(i) == '^')) {
            i++;
        }
        if (i < pat.length() && pat.charAt(i) == ']') {
            i++; // a leading ']' is literal
        }
        while (i < pat.length()) {
            char ch = pat.charAt(i);
            if (ch == '\\' && i + 1 < pat.length()) {
                i += 2;
            } else if (ch == '[' && i + 1 < pat.length() && pat.charAt(i + 1) == ':') {
                int close = pat.indexOf(":]", i + 2);
                i = close < 0 ? i + 1 : close + 2;
            } else if (ch == ']') {
                return i;
            } else {
                i++;
            }
        }
        return -1;
    }

    private static boolean bracketMatches(String pat, int from, int end, char c) {
        int i = from;
        boolean negate = pat.charAt(i) == '!' || pat.charAt(i) == '^';
        if (negate) {
            i++;
        }
        boolean matched = false;
        boolean first = true;
        while (i < end) {
            char lo = pat.charAt(i);
            if (lo == '[' && i + 1 < end && pat.charAt(i + 1) == ':') {
                int close = pat.indexOf(":]", i + 2);
                if (close >= 0 && close < end) {
                    matched |= inClass(pat.substring(i + 2, close), c);
                    i = close + 2;
                    first = false;
                    continue;
                }
            }
            if (lo == '\\' && i + 1 < end) {
                lo = pat.charAt(++i);
            } else if (lo == ']' && !first) {
                break;
            }
            i++;
            first = false;
            if (i + 1 < end && pat.charAt(i) == '-' && pat.charAt(i + 1) != ']') {
                char hi = pat.charAt(i + 1);
                i += 2;
                if (hi == '\\' && i < end) {
                    hi = pat.charAt(i++);
                }
                matched |= lo <= c && c <= hi;
            } else {
                matched |= lo == c;
            }
        }
        return matched != negate;
    }

    private static boolean inClass(String name, char c) {
        return switch (name) {
            case "alpha" -> Character.isLetter(c) && c < 128;
            case "digit" -> c >= '0' && c <= '9';
            case "alnum" -> (Character.isLetterOrDigit(c)) && c < 128;
            case "upper" -> c >= 'A' && c <= 'Z';
            case "lower" -> c >= 'a' && c <= 'z';
            case "space" -> c == ' ' || (c >= '\t' && c <= '\r');
            case "blank" -> c == ' ' || c == '\t';
            case "punct" -> c > 32 && c < 127 && !Character.isLetterOrDigit(c);
            case "xdigit" -> Character.digit(c, 16) >= 0 && c < 128;
            case "print" -> c >= 32 && c < 127;
            case "graph" -> c > 32 && c < 127;
            case "cntrl" -> c < 32 || c == 127;
            default -> false;
        };
    }
}
