package dev.upfleet.cli.initctl.lean;

/**
 * A failed call: the gRPC status the agent sent (code and {@code grpc-message}), or one made up locally when the
 * agent could not be reached or broke the protocol, with the I/O error as cause. The same shape as grpc-java's
 * {@code StatusRuntimeException}, without loading gRPC.
 */
public final class RpcException extends RuntimeException {
    /** The gRPC status codes, in wire order. */
    public enum Code {
        OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
        RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
        DATA_LOSS, UNAUTHENTICATED;

        /** The code for a {@code grpc-status} value; unknown values are UNKNOWN, as in grpc-java. */
        public static Code of(int value) {
            Code[] all = values();
            return value >= 0 && value < all.length ? all[value] : UNKNOWN;
        }
    }

    private final Code code;
    private final String description;

    public RpcException(Code code, String description, Throwable cause) {
        super(description == null ? code.name() : code + ": " + description, cause, false, false);
        this.code = code;
        this.description = description;
    }

    public RpcException(Code code, String description) {
        this(code, description, null);
    }

    /** What grpc-java reports for a reply message that does not parse. */
    public static RpcException invalidMessage(Throwable cause) {
        return new RpcException(Code.INTERNAL, "Invalid protobuf byte sequence", cause);
    }

    public Code code() {
        return code;
    }

    /** The status message ({@code grpc-message}), or null when there was none. */
    public String description() {
        return description;
    }
}
