package dev.upfleet.controller.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The rule tying a claimed node name to a client certificate. The certificates are fixtures made once with openssl
 * (self-signed, long-lived; only their names matter here): {@code node-a} as make-certs.sh issues one (CN=a, DNS:a),
 * {@code sans-only} (CN=somebody; DNS:web-1, DNS:web-1.example.org, IP and email SANs), {@code cn-only} (CN=db-1, no
 * SAN) and {@code no-names} (no CN, only an IP SAN).
 */
class PeerIdentityTest {

    static X509Certificate cert(String name) {
        try (InputStream in = PeerIdentityTest.class.getResourceAsStream(name + ".pem")) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest(name = "{0} claiming {1}: allowed={2}")
    @CsvSource({
            "node-a,    a,                  true",
            "node-a,    b,                  false",
            "node-a,    A,                  false",
            "node-a,    upfleet,            false",
            "node-a,    agent,              false",
            "sans-only, web-1,              true",
            "sans-only, web-1.example.org,  true",
            "sans-only, somebody,           true",
            "sans-only, web-2,              false",
            "sans-only, 10.0.0.1,           false",
            "sans-only, ops@example.org,    false",
            "sans-only, web,                false",
            "cn-only,   db-1,               true",
            "cn-only,   db-10,              false",
            "no-names,  10.0.0.2,           false",
    })
    void aNodeMayBeOnlyANameItsCertificateNames(String cert, String node, boolean allowed) {
        Status status = PeerIdentity.check(cert(cert), node);
        if (allowed) {
            assertThat(status).isNull();
        } else {
            assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(status.getDescription()).contains("'" + node + "' does not match the client certificate");
        }
    }

    @Test
    void namesAreTheCnsThenTheDnsSans() {
        assertThat(PeerIdentity.names(cert("node-a"))).containsExactly("a");
        assertThat(PeerIdentity.names(cert("sans-only"))).containsExactly("somebody", "web-1", "web-1.example.org");
        assertThat(PeerIdentity.names(cert("cn-only"))).containsExactly("db-1");
        assertThat(PeerIdentity.names(cert("no-names"))).isEmpty();
    }

    @Test
    void theMessageNamesWhatTheCertificateIsFor() {
        assertThat(PeerIdentity.check(cert("node-a"), "b").getDescription()).isEqualTo("node name 'b' does not match "
                + "the client certificate, which is for [a] (CN or DNS name): an agent's --node must be the name its "
                + "certificate was issued for");
        assertThat(PeerIdentity.check(cert("no-names"), "b").getDescription()).contains("which is for no name");
    }

    @Test
    void theLeafCertificateOfTheChainDecides() {
        assertThat(PeerIdentity.check(new Certificate[] {cert("node-a"), cert("sans-only")}, "a")).isNull();
        assertThat(PeerIdentity.check(new Certificate[] {cert("node-a"), cert("sans-only")}, "web-1"))
                .as("only the leaf (first) certificate names the peer").isNotNull();
        Status none = PeerIdentity.check(new Certificate[0], "a");
        assertThat(none.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(none.getDescription()).isEqualTo("node a: no client certificate");
    }

    @Test
    void aCallWithoutTlsIsNotChecked() {
        // No interceptor ran (or it found no SSL session): plaintext, as with --insecure.
        assertThat(PeerIdentity.checkCurrentCall("anything")).isNull();
    }
}
