package dev.upfleet.cli.initctl.lean;

/** A header block that cannot be decoded: an HTTP/2 COMPRESSION_ERROR, fatal for the connection. */
final class HpackException extends Exception {
    HpackException(String message) {
        super(message, null, false, false);
    }
}
