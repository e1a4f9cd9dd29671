package dev.upfleet.controller.relay;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ties a session's claimed node name to the client certificate it connected with: under mTLS an agent may only be
 * the node its certificate was issued for, that is a name equal to the certificate's subject CN or to one of its DNS
 * subject alternative names ({@code deploy/tls/make-certs.sh} puts the node name in both). Names compare exactly;
 * there are no wildcards. A plaintext ({@code --insecure}) connection has no certificate and is not checked.
 *
 * <p>The TLS session is known to the transport, not to the stream an {@link AgentSession} sees: {@link #interceptor()}
 * puts it into the call's {@link Context}, which gRPC attaches while it calls the session's {@code onNext}, where
 * {@link #checkCurrentCall} reads it. Stateless; any thread.
 */
public final class PeerIdentity {
    private static final Logger LOG = LoggerFactory.getLogger(PeerIdentity.class);
    private static final int SAN_DNS = 2;

    /** What the transport says about the caller; {@code tls} is null on a plaintext connection. */
    private record Peer(SSLSession tls, SocketAddress remote) {}

    private static final Context.Key<Peer> PEER = Context.key("upfleet-peer");

    private PeerIdentity() {}

    /** Makes each call's TLS session (or its absence) visible to {@link #checkCurrentCall} through the Context. */
    public static ServerInterceptor interceptor() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                               ServerCallHandler<Q, R> next) {
                Peer peer = new Peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION),
                        call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
                return Contexts.interceptCall(Context.current().withValue(PEER, peer), call, headers, next);
            }
        };
    }

    /**
     * Whether the current call may act as {@code node}: null if so (or if the call is plaintext, or did not pass
     * through {@link #interceptor()}), else a PERMISSION_DENIED status saying why, which is also logged.
     */
    public static Status checkCurrentCall(String node) {
        Peer peer = PEER.get();
        if (peer == null || peer.tls() == null) {
            return null;
        }
        Status status = check(peer.tls(), node);
        if (status != null) {
            LOG.warn("refused a call from {}: {}", peer.remote(), status.getDescription());
        }
        return status;
    }

    static Status check(SSLSession tls, String node) {
        Certificate[] chain;
        try {
            chain = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            chain = new Certificate[0];
        }
        return check(chain, node);
    }

    /** The rule on the chain the peer presented (leaf first; empty when it presented none). */
    static Status check(Certificate[] chain, String node) {
        if (chain.length == 0) {
            return Status.PERMISSION_DENIED.withDescription("node " + node + ": no client certificate");
        }
        if (!(chain[0] instanceof X509Certificate cert)) {
            return Status.PERMISSION_DENIED.withDescription("node " + node + ": no X.509 client certificate");
        }
        return check(cert, node);
    }

    /** The matching rule on one certificate: null if {@code node} is one of its {@link #names}. */
    static Status check(X509Certificate cert, String node) {
        Set<String> names = names(cert);
        if (names.contains(node)) {
            return null;
        }
        return Status.PERMISSION_DENIED.withDescription("node name '" + node
                + "' does not match the client certificate, which is for " + (names.isEmpty() ? "no name" : names)
                + " (CN or DNS name): an agent's --node must be the name its certificate was issued for");
    }

    /** The names a certificate vouches for: the subject's CN values, then its DNS subject alternative names. */
    static Set<String> names(X509Certificate cert) {
        Set<String> names = new LinkedHashSet<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(rdn.getValue().toString());
                }
            }
        } catch (InvalidNameException e) {
            // An unparsable subject vouches for nothing; the SANs may still.
        }
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && san.get(0) instanceof Integer type && type == SAN_DNS
                            && san.get(1) instanceof String dns) {
                        names.add(dns);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // Malformed extension: it vouches for nothing.
        }
        return names;
    }
}
