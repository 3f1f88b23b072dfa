package dev.pgtenant.protocol.codec;

import static dev.pgtenant.protocol.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.message.backend.NegotiateProtocolVersion;
import dev.pgtenant.protocol.message.startup.CancelRequest;
import dev.pgtenant.protocol.message.startup.GssEncRequest;
import dev.pgtenant.protocol.message.startup.SslRequest;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StartupPacketDecoderTest {

    private static byte[] startup(int version, Object... parameters) {
        byte[] body = bytes(parameters);
        return bytes(body.length + 8, version, body);
    }

    private static Decoding.Result decode(byte[] input, int chunkSize) {
        return Decoding.run(StartupPacketDecoder::new, input, chunkSize);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3})
    void sslRequestThenStartupMessageInAnyFragmentation(int chunkSize) {
        byte[] input = FrameDecoderTest.concat(bytes(8, 80_877_103),
                startup(196_608, "user", "alice", "database", "orgdata_1", (byte) 0));
        Decoding.Result result = decode(input, chunkSize);
        assertThat(result.error()).isNull();
        assertThat(result.outputs()).containsExactly(new SslRequest(),
                new StartupMessage(Map.of("user", "alice", "database", "orgdata_1")));
        StartupMessage startup = (StartupMessage) result.outputs().get(1);
        assertThat(startup.user()).isEqualTo("alice");
        assertThat(startup.database()).isEqualTo("orgdata_1");
        assertThat(startup.negotiation()).isEmpty();
    }

    @Test
    void cancelRequestCarriesTheKey() {
        assertThat(decode(bytes(16, 80_877_102, 7, -9), 1).outputs()).containsExactly(new CancelRequest(7, -9));
    }

    @Test
    void newerMinorVersionIsAnsweredWithNegotiation() {
        Decoding.Result result = decode(startup((3 << 16) | 2, "user", "a", "_pq_.compression", "on", (byte) 0), 0);
        StartupMessage startup = (StartupMessage) result.outputs().get(0);
        assertThat(startup.minorVersion()).isEqualTo(2);
        assertThat(startup.negotiation()).contains(new NegotiateProtocolVersion(0, List.of("_pq_.compression")));
    }

    @Test
    void protocolOptionsAloneAreAnsweredWithNegotiation() {
        Decoding.Result result = decode(startup(196_608, "user", "a", "_pq_.x", "1", (byte) 0), 0);
        assertThat(((StartupMessage) result.outputs().get(0)).negotiation())
                .contains(new NegotiateProtocolVersion(0, List.of("_pq_.x")));
    }

    @ParameterizedTest
    @ValueSource(ints = {2 << 16, (4 << 16), (1234 << 16) | 5681, 0})
    void otherProtocolVersionsAreRefusedAsPostgresqlDoes(int version) {
        Decoding.Result result = decode(startup(version, "user", "a", (byte) 0), 0);
        assertThat(result.protocolError().sqlState()).isEqualTo(SqlState.FEATURE_NOT_SUPPORTED);
        assertThat(result.protocolError()).hasMessageContaining("unsupported frontend protocol")
                .hasMessageContaining("server supports 3.0 to 3.0");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 7, 10_001, Integer.MAX_VALUE})
    void lengthsOutsidePostgresqlBoundsAreRefused(int length) {
        Decoding.Result result = decode(bytes(length, 196_608), 0);
        assertThat(result.protocolError()).hasMessageContaining("invalid length of startup packet: " + length);
        assertThat(result.protocolError().sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
    }

    @Test
    void missingFinalTerminatorIsRefused() {
        assertThat(decode(startup(196_608, "user", "alice"), 0).protocolError())
                .hasMessageContaining("expected terminator as last byte");
    }

    @Test
    void nameWithoutValueIsRefused() {
        assertThat(decode(startup(196_608, "user", "alice", "database"), 0).protocolError())
                .hasMessageContaining("parameter \"database\" has no value");
    }

    @Test
    void unterminatedValueIsRefused() {
        byte[] body = FrameDecoderTest.concat(bytes("user"), "alice".getBytes());
        assertThat(decode(bytes(body.length + 8, 196_608, body), 0).protocolError())
                .hasMessageContaining("missing its terminator");
    }

    @Test
    void bytesAfterTheTerminatorAreRefused() {
        assertThat(decode(startup(196_608, "user", "alice", (byte) 0, (byte) 'x'), 0).protocolError())
                .hasMessageContaining("expected terminator as last byte");
    }

    @Test
    void repeatedParameterIsRefused() {
        assertThat(decode(startup(196_608, "user", "alice", "user", "mallory", (byte) 0), 0).protocolError())
                .hasMessageContaining("appears twice");
    }

    @Test
    void requestsOfTheWrongLengthAreRefused() {
        assertThat(decode(bytes(12, 80_877_103, 0), 0).protocolError()).hasMessageContaining("SSL request");
        assertThat(decode(bytes(12, 80_877_102, 1), 0).protocolError()).hasMessageContaining("cancel request");
    }

    /** As PostgreSQL does: once declined, an encryption request is not asked again. */
    @Test
    void aSecondRequestOfTheSameEncryptionIsRefused() {
        Decoding.Result ssl = decode(FrameDecoderTest.concat(bytes(8, 80_877_103), bytes(8, 80_877_103)), 0);
        assertThat(ssl.outputs()).containsExactly(new SslRequest());
        assertThat(ssl.protocolError()).hasMessageContaining("SSL encryption a second time");
        Decoding.Result gss = decode(FrameDecoderTest.concat(bytes(8, 80_877_104), bytes(8, 80_877_103), bytes(8, 80_877_104)), 1);
        assertThat(gss.outputs()).containsExactly(new GssEncRequest(), new SslRequest());
        assertThat(gss.protocolError()).hasMessageContaining("GSSAPI encryption a second time");
    }

    @Test
    void truncatedPacketWaitsAndIsReleased() {
        Decoding.Result result = decode(java.util.Arrays.copyOf(startup(196_608, "user", "a", (byte) 0), 10), 1);
        assertThat(result.outputs()).isEmpty();
        assertThat(result.error()).isNull();
    }

    @Test
    void bytesAfterTheStartupMessageAreHandedOnWhenTheDecoderIsRemoved() {
        byte[] query = dev.pgtenant.protocol.Wire.message('Q', "SELECT 1");
        io.netty.channel.embedded.EmbeddedChannel channel =
                new io.netty.channel.embedded.EmbeddedChannel(new StartupPacketDecoder());
        channel.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(
                FrameDecoderTest.concat(startup(196_608, "user", "a", (byte) 0), query)));
        Object startup = channel.readInbound();
        assertThat(startup).isInstanceOf(StartupMessage.class);
        Object nothing = channel.readInbound();
        assertThat(nothing).isNull();
        channel.pipeline().removeFirst();
        io.netty.buffer.ByteBuf rest = channel.readInbound();
        try {
            assertThat(io.netty.buffer.ByteBufUtil.getBytes(rest)).isEqualTo(query);
        } finally {
            rest.release();
        }
        assertThat(channel.finish()).isFalse();
    }
}
