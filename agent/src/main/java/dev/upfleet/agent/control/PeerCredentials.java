package dev.upfleet.agent.control;

import io.grpc.Attributes;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.ProtocolNegotiationEvent;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.util.AsciiString;
import java.nio.file.attribute.UserPrincipal;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Reads the connecting process's user from {@code SO_PEERCRED} and attaches it to the gRPC transport attributes
 * ({@link #PEER_USER}), where {@link ControlService} checks it for modifying calls.
 *
 * <p>Netty's NIO domain-socket channel passes JDK socket options through {@link NioChannelOption}, and the JDK supports
 * {@link ExtendedSocketOptions#SO_PEERCRED} on Unix-domain channels, so no JNI is needed. gRPC has no public hook to
 * see the Netty channel of a call; the only place is the protocol negotiator (grpc's {@code Internal*} API, also used
 * by ALTS): we wrap the plaintext negotiator and add an attribute to its negotiation event. If the option cannot be
 * read the attribute is absent and the socket's 0600 mode remains the only guard.
 */
final class PeerCredentials {
    static final Attributes.Key<UserPrincipal> PEER_USER = Attributes.Key.create("upfleet.peer-user");

    private PeerCredentials() {}

    static InternalProtocolNegotiator.ProtocolNegotiator serverNegotiator() {
        InternalProtocolNegotiator.ProtocolNegotiator plain = InternalProtocolNegotiators.serverPlaintext();
        return new InternalProtocolNegotiator.ProtocolNegotiator() {
            @Override
            public AsciiString scheme() {
                return plain.scheme();
            }

            @Override
            public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
                return new Handler(plain.newHandler(grpcHandler));
            }

            @Override
            public void close() {
                plain.close();
            }
        };
    }

    static UserPrincipal peerUser(Channel channel) {
        try {
            UnixDomainPrincipal p = channel.config().getOption(NioChannelOption.of(ExtendedSocketOptions.SO_PEERCRED));
            return p == null ? null : p.user();
        } catch (RuntimeException | Error e) {
            return null;
        }
    }

    /** Puts the delegate after itself, enriches the one negotiation event, then leaves the pipeline. */
    private static final class Handler extends ChannelInboundHandlerAdapter {
        private final ChannelHandler next;

        Handler(ChannelHandler next) {
            this.next = next;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().addAfter(ctx.name(), null, next);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ProtocolNegotiationEvent pne) {
                UserPrincipal user = peerUser(ctx.channel());
                if (user != null) {
                    Attributes attrs = InternalProtocolNegotiationEvent.getAttributes(pne).toBuilder()
                            .set(PEER_USER, user)
                            .build();
                    pne = InternalProtocolNegotiationEvent.withAttributes(pne, attrs);
                }
                ctx.pipeline().remove(this);
                ctx.fireUserEventTriggered(pne);
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }
    }
}
