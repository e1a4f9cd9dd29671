package dev.upfleet.h2;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class GrpcWireTest {
    @Test
    void messagesArePrefixedWithFlagAndLength() {
        byte[] framed = GrpcWire.frame(new byte[300]);
        assertThat(framed).hasSize(305);
        assertThat(framed[0]).isZero();
        assertThat(GrpcWire.messageLength(framed, 0)).isEqualTo(300);
        byte[] huge = {0, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThat(GrpcWire.messageLength(huge, 0)).isEqualTo(0xffffffffL);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Unknown job: svc|Unknown job: svc",
        "100%|100%25",
        "caf\u00e9 \u2603|caf%C3%A9 %E2%98%83",
        "tab\there|tab%09here"})
    void grpcMessageIsPercentEncodedUtf8(String text, String wire) {
        assertThat(GrpcWire.percentEncode(text)).isEqualTo(wire);
        assertThat(GrpcWire.percentDecode(wire)).isEqualTo(text);
    }

    @Test
    void malformedEscapesAreKept() {
        assertThat(GrpcWire.percentDecode("50%-off %zz %4")).isEqualTo("50%-off %zz %4");
    }

    @ParameterizedTest
    @CsvSource({"1S,1000000000", "250m,250000000", "3u,3000", "7n,7", "2M,120000000000", "1H,3600000000000",
        "99999999S,99999999000000000", "S,-1", "123456789S,-1", "12x,-1", "-1S,-1", "1.5S,-1"})
    void grpcTimeout(String value, long nanos) {
        assertThat(GrpcWire.timeoutNanos(value)).isEqualTo(nanos);
    }

    @Test
    void httpStatusesWithoutGrpcStatus() {
        assertThat(GrpcWire.codeOfHttpStatus("404")).isEqualTo(GrpcWire.UNIMPLEMENTED);
        assertThat(GrpcWire.codeOfHttpStatus("503")).isEqualTo(GrpcWire.UNAVAILABLE);
        assertThat(GrpcWire.codeOfHttpStatus("418")).isEqualTo(GrpcWire.UNKNOWN);
        assertThat(TimeUnit.SECONDS.toNanos(1)).isEqualTo(GrpcWire.timeoutNanos("1S"));
    }
}
