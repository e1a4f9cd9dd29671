package dev.upfleet.h2;

import java.io.IOException;

/** The peer broke HTTP/2: a connection error with its code (RFC 9113 §5.4.1), for a GOAWAY or a local failure. */
public final class Http2Exception extends IOException {
    private final int errorCode;

    public Http2Exception(int errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    /** The HTTP/2 error code (RFC 9113 §7). */
    public int errorCode() {
        return errorCode;
    }
}
