package dev.upfleet.h2;

/** A header block that cannot be decoded: an HTTP/2 COMPRESSION_ERROR, fatal for the connection. */
public final class HpackException extends Exception {
    public HpackException(String message) {
        super(message, null, false, false);
    }
}
