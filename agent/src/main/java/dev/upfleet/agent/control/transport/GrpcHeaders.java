package dev.upfleet.agent.control.transport;

import dev.upfleet.h2.GrpcWire;
import dev.upfleet.h2.Hpack;
import dev.upfleet.h2.Hpack.Header;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * gRPC metadata on HTTP/2 header fields, both ways, with grpc-java's public {@link Metadata} API: ASCII values as
 * they are, {@code -bin} values in base64. Header blocks are written as HPACK literals without indexing (see
 * {@link Hpack}), so no encoder state is shared across streams.
 */
final class GrpcHeaders {
    /** Fields a call's metadata must not set: the transport writes them. */
    private static final Set<String> RESERVED = Set.of("content-type", "te", "grpc-status", "grpc-message",
            "grpc-encoding", "grpc-accept-encoding", "grpc-timeout", "user-agent", "host");

    private GrpcHeaders() {}

    /** The metadata of a request's header fields (pseudo-headers left out); throws IllegalArgumentException on a bad name. */
    static Metadata toMetadata(List<Header> fields) {
        Metadata md = new Metadata();
        for (Header h : fields) {
            String name = h.name();
            if (name.startsWith(":")) {
                continue;
            }
            if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                md.put(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER), Base64.getDecoder().decode(h.value()));
            } else {
                md.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), h.value());
            }
        }
        return md;
    }

    /** The response header block: {@code :status 200}, the content type, then {@code md}. */
    static byte[] responseHeaders(Metadata md) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        Hpack.encodeLiteral(b, ":status", "200");
        Hpack.encodeLiteral(b, "content-type", "application/grpc");
        metadata(b, md);
        return b.toByteArray();
    }

    /** The trailer block; with {@code trailersOnly} it also carries what response headers would have. */
    static byte[] trailers(Status status, Metadata md, boolean trailersOnly) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        if (trailersOnly) {
            Hpack.encodeLiteral(b, ":status", "200");
            Hpack.encodeLiteral(b, "content-type", "application/grpc");
        }
        status(b, status);
        if (md != null) {
            metadata(b, md);
        }
        return b.toByteArray();
    }

    /** A trailers-only refusal with an HTTP status other than 200 (what grpc-java's server sends for non-gRPC requests). */
    static byte[] httpError(int httpStatus, Status status) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        Hpack.encodeLiteral(b, ":status", Integer.toString(httpStatus));
        Hpack.encodeLiteral(b, "content-type", "text/plain; charset=utf-8");
        status(b, status);
        return b.toByteArray();
    }

    /** A refusal of a compressed request: UNIMPLEMENTED, with the encodings we accept. */
    static byte[] unsupportedEncoding(String encoding) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        Hpack.encodeLiteral(b, ":status", "200");
        Hpack.encodeLiteral(b, "content-type", "application/grpc");
        Hpack.encodeLiteral(b, "grpc-accept-encoding", "identity");
        status(b, Status.UNIMPLEMENTED.withDescription("Can't find decompressor for " + encoding));
        return b.toByteArray();
    }

    private static void status(ByteArrayOutputStream b, Status status) {
        Hpack.encodeLiteral(b, "grpc-status", Integer.toString(status.getCode().value()));
        if (status.getDescription() != null) {
            Hpack.encodeLiteral(b, "grpc-message", latin1(GrpcWire.percentEncode(status.getDescription())));
        }
    }

    private static void metadata(ByteArrayOutputStream b, Metadata md) {
        for (String name : md.keys()) {
            if (RESERVED.contains(name)) {
                continue;
            }
            if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                for (byte[] v : md.getAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))) {
                    Hpack.encodeLiteral(b, name, Base64.getEncoder().withoutPadding().encodeToString(v));
                }
            } else {
                for (String v : md.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))) {
                    Hpack.encodeLiteral(b, name, v);
                }
            }
        }
    }

    /** Percent-encoded text is ASCII; Hpack's strings are one char per octet. */
    private static String latin1(String ascii) {
        return new String(ascii.getBytes(StandardCharsets.US_ASCII), StandardCharsets.ISO_8859_1);
    }
}
