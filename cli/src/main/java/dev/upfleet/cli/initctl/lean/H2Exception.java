package dev.upfleet.cli.initctl.lean;

import java.io.IOException;

/** The HTTP/2 exchange failed at the HTTP/2 level: the peer reset the stream or went away, or broke the protocol. */
final class H2Exception extends IOException {
    enum Kind {
        /** RST_STREAM from the peer. */
        RESET,
        /** GOAWAY from the peer before it processed our stream. */
        REFUSED,
        /** The peer violated HTTP/2 or HPACK. */
        PROTOCOL,
        /** The reply is larger than the caller's limit; the stream was cancelled. */
        TOO_LARGE
    }

    private final Kind kind;
    private final int errorCode;

    H2Exception(Kind kind, int errorCode, String message) {
        super(message);
        this.kind = kind;
        this.errorCode = errorCode;
    }

    Kind kind() {
        return kind;
    }

    /** The HTTP/2 error code (RFC 9113 §7). */
    int errorCode() {
        return errorCode;
    }
}
