package dev.upfleet.cli.initctl.lean;

/** Octets that are not a valid encoding of the expected message (protobuf-java's wording where it has one). */
public final class ProtoException extends Exception {
    public ProtoException(String message) {
        super(message, null, false, false);
    }
}
