package dev.upfleet.agent.control;

import io.grpc.Attributes;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.attribute.UserPrincipal;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Reads the connecting process's user from {@code SO_PEERCRED} on the accepted Unix-domain channel (the JDK supports
 * {@link ExtendedSocketOptions#SO_PEERCRED} there, no JNI) and puts it in the transport attributes of the
 * connection's calls ({@link #PEER_USER}), where {@link CallerPolicy} checks it for modifying calls. If the option
 * cannot be read the attribute is absent and the socket's 0600 mode remains the only guard.
 */
final class PeerCredentials {
    static final Attributes.Key<UserPrincipal> PEER_USER = Attributes.Key.create("upfleet.peer-user");

    private PeerCredentials() {}

    /** The attributes of the calls on {@code channel}: the peer's user when known. */
    static Attributes attributes(SocketChannel channel) {
        UserPrincipal user = peerUser(channel);
        return user == null ? Attributes.EMPTY : Attributes.newBuilder().set(PEER_USER, user).build();
    }

    static UserPrincipal peerUser(SocketChannel channel) {
        try {
            UnixDomainPrincipal p = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
            return p == null ? null : p.user();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
