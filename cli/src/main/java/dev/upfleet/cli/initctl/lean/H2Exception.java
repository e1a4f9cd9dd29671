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

    static final int NO_ERROR = 0x0;
    static final int PROTOCOL_ERROR = 0x1;
    static final int CANCEL = 0x8;
    static final int COMPRESSION_ERROR = 0x9;

    private static final String[] ERROR_NAMES = {"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
        "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};

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

    static String errorName(int code) {
        return code >= 0 && code < ERROR_NAMES.length ? ERROR_NAMES[code] : "0x" + Integer.toHexString(code);
    }
}
