package dev.upfleet.h2;

/**
 * One HTTP/2 frame as read: type, flags, stream (reserved bit cleared) and payload.
 *
 * @param payload the frame's payload, owned by the frame
 */
public record Frame(int type, int flags, int stream, byte[] payload) {
    public boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /**
     * The range {@code {offset, length}} of a DATA or HEADERS payload without its padding (and, for HEADERS with the
     * PRIORITY flag, without the priority fields).
     */
    public int[] content() throws Http2Exception {
        int off = 0;
        int len = payload.length;
        if (has(Http2.FLAG_PADDED)) {
            if (len < 1 || (payload[0] & 0xff) >= len) {
                throw new Http2Exception(Http2.PROTOCOL_ERROR, "padding longer than the frame");
            }
            off = 1;
            len = len - 1 - (payload[0] & 0xff);
        }
        if (type == Http2.HEADERS && has(Http2.FLAG_PRIORITY)) {
            if (len < 5) {
                throw new Http2Exception(Http2.PROTOCOL_ERROR, "HEADERS too short for its priority");
            }
            off += 5;
            len -= 5;
        }
        return new int[] {off, len};
    }
}
