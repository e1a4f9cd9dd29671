package dev.upfleet.h2;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC layer on HTTP/2 (gRPC's PROTOCOL-HTTP2.md) that both ends need: the length-prefixed message, the
 * percent-encoding of {@code grpc-message}, {@code grpc-timeout} values, and the status of an HTTP reply without
 * {@code grpc-status}.
 */
public final class GrpcWire {
    private GrpcWire() {}

    /** Length of a message's prefix: compressed flag and 32-bit length. */
    public static final int PREFIX = 5;
    /** grpc-java's default limit on a received message (maxInboundMessageSize). */
    public static final int DEFAULT_MAX_MESSAGE = 4 << 20;

    /** The gRPC status codes' numbers used here by name (the wire values of {@code grpc-status}). */
    public static final int OK = 0;
    public static final int CANCELLED = 1;
    public static final int UNKNOWN = 2;
    public static final int INTERNAL = 13;
    public static final int UNIMPLEMENTED = 12;
    public static final int UNAVAILABLE = 14;
    public static final int RESOURCE_EXHAUSTED = 8;
    public static final int PERMISSION_DENIED = 7;
    public static final int UNAUTHENTICATED = 16;

    /** {@code message} with its 5-octet prefix (not compressed). */
    public static byte[] frame(byte[] message) {
        byte[] framed = new byte[PREFIX + message.length];
        framed[1] = (byte) (message.length >>> 24);
        framed[2] = (byte) (message.length >>> 16);
        framed[3] = (byte) (message.length >>> 8);
        framed[4] = (byte) message.length;
        System.arraycopy(message, 0, framed, PREFIX, message.length);
        return framed;
    }

    /** The length in a message prefix at {@code off}, as an unsigned value. */
    public static long messageLength(byte[] b, int off) {
        return Integer.toUnsignedLong(Http2.readInt(b, off + 1));
    }

    /** grpc-message: UTF-8, with octets outside printable ASCII and '%' written as %XX. */
    public static String percentEncode(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = null;
        for (int i = 0; i < utf8.length; i++) {
            int c = utf8[i] & 0xff;
            boolean plain = c >= 0x20 && c < 0x7f && c != '%';
            if (!plain && b == null) {
                b = new StringBuilder(utf8.length + 16);
                for (int k = 0; k < i; k++) {
                    b.append((char) utf8[k]);
                }
            }
            if (b != null) {
                if (plain) {
                    b.append((char) c);
                } else {
                    b.append('%').append(Character.toUpperCase(Character.forDigit(c >>> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /** The text of a grpc-message value (kept as one char per octet); malformed escapes are kept as they are. */
    public static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return new String(s.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                b.write(hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2)));
                i += 2;
            } else {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    /** A grpc-timeout value (1 to 8 digits and a unit of H, M, S, m, u, n) in nanoseconds, or -1 if malformed. */
    public static long timeoutNanos(String value) {
        if (value == null || value.length() < 2 || value.length() > 9) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < value.length() - 1; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        TimeUnit unit = switch (value.charAt(value.length() - 1)) {
            case 'H' -> TimeUnit.HOURS;
            case 'M' -> TimeUnit.MINUTES;
            case 'S' -> TimeUnit.SECONDS;
            case 'm' -> TimeUnit.MILLISECONDS;
            case 'u' -> TimeUnit.MICROSECONDS;
            case 'n' -> TimeUnit.NANOSECONDS;
            default -> null;
        };
        return unit == null ? -1 : unit.toNanos(n);
    }

    /** The gRPC code for an HTTP status without grpc-status (gRPC's http-grpc-status-mapping). */
    public static int codeOfHttpStatus(String http) {
        return switch (http == null ? "" : http) {
            case "400" -> INTERNAL;
            case "401" -> UNAUTHENTICATED;
            case "403" -> PERMISSION_DENIED;
            case "404" -> UNIMPLEMENTED;
            case "429", "502", "503", "504" -> UNAVAILABLE;
            default -> UNKNOWN;
        };
    }
}
