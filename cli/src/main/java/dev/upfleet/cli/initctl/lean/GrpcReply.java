package dev.upfleet.cli.initctl.lean;

import dev.upfleet.h2.GrpcWire;
import dev.upfleet.h2.Hpack.Header;
import dev.upfleet.cli.initctl.lean.RpcException.Code;
import java.util.List;

/**
 * The gRPC layer of a unary reply (gRPC over HTTP/2, PROTOCOL-HTTP2.md): the status from the trailers (or from
 * the only header block of a trailers-only reply, or from the HTTP status when there is none), and the one
 * length-prefixed message from the body, as a reader for the reply's decoder.
 */
final class GrpcReply {
    private GrpcReply() {}

    static ProtoReader message(H2Connection.Exchange x) {
        // A trailers-only reply carries the status in its (only) header block.
        List<Header> meta = x.trailers() != null ? x.trailers() : x.headers();
        String grpcStatus = value(meta, "grpc-status");
        if (grpcStatus == null) {
            String http = value(x.headers(), ":status");
            if (!"200".equals(http)) {
                throw new RpcException(httpCode(http), "HTTP status code " + http);
            }
            throw new RpcException(Code.INTERNAL, "Received a reply without grpc-status");
        }
        Code code;
        try {
            code = Code.of(Integer.parseInt(grpcStatus.trim()));
        } catch (NumberFormatException e) {
            code = Code.UNKNOWN;
        }
        if (code != Code.OK) {
            String message = value(meta, "grpc-message");
            throw new RpcException(code, message == null ? null : percentDecode(message));
        }
        return body(x.data());
    }

    private static ProtoReader body(byte[] data) {
        if (data.length < 5) {
            throw new RpcException(Code.INTERNAL, "No value received for unary call");
        }
        if (data[0] != 0) {
            throw new RpcException(Code.INTERNAL, "Compressed reply although none was accepted");
        }
        long size = ((data[1] & 0xffL) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
        if (size > LeanControlClient.MAX_MESSAGE) {
            throw new RpcException(Code.RESOURCE_EXHAUSTED,
                    "gRPC message exceeds maximum size " + LeanControlClient.MAX_MESSAGE + ": " + size);
        }
        if (size != data.length - 5) {
            throw new RpcException(Code.INTERNAL, data.length - 5 < size
                    ? "Reply ends inside its message" : "Too many responses for unary call");
        }
        return ProtoReader.of(data, 5, (int) size);
    }

    /** The gRPC code for an HTTP status without grpc-status (gRPC's http-grpc-status-mapping). */
    static Code httpCode(String http) {
        return Code.of(GrpcWire.codeOfHttpStatus(http));
    }

    private static String value(List<Header> headers, String name) {
        for (Header h : headers) {
            if (h.name().equals(name)) {
                return h.value();
            }
        }
        return null;
    }

    /** grpc-message is UTF-8 with octets outside printable ASCII and '%' written as %XX. */
    static String percentDecode(String s) {
        return GrpcWire.percentDecode(s);
    }
}
