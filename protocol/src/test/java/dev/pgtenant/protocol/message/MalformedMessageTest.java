package dev.pgtenant.protocol.message;

import static dev.pgtenant.protocol.Wire.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.frontend.FrontendMessages;
import dev.pgtenant.protocol.message.frontend.FrontendMessages.AuthResponseKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Typed decoding of bodies that lie: each must fail with a ProtocolException that says why. */
class MalformedMessageTest {

    static Stream<Arguments> badFrontendBodies() {
        return Stream.of(
                Arguments.of('Q', bytes(), "missing its terminator"),
                Arguments.of('Q', new byte[] {'S', 'E', 'L'}, "missing its terminator"),
                Arguments.of('Q', bytes("SELECT 1", (byte) 'x'), "trailing bytes"),
                Arguments.of('P', bytes("s", "SELECT $1", (short) 3, 23), "parameter type count 3 exceeds"),
                Arguments.of('P', bytes("s", "SELECT 1"), "truncated"),
                Arguments.of('B', bytes("", "s", (short) 0, (short) 1, 10, (byte) 1), "truncated, expected 10 bytes"),
                Arguments.of('B', bytes("", "s", (short) 0, (short) 1, -2, (short) 0), "negative field length -2"),
                Arguments.of('B', bytes("", "s", (short) -1), "parameter format count 65535 exceeds"),
                Arguments.of('B', bytes("", "s", (short) 0, (short) 0), "truncated"),
                Arguments.of('D', bytes('X', "name"), "expected 'S' or 'P'"),
                Arguments.of('D', bytes(), "truncated"),
                Arguments.of('C', bytes('S'), "missing its terminator"),
                Arguments.of('E', bytes("portal", (short) 1), "truncated"),
                Arguments.of('S', bytes((byte) 1), "trailing bytes"),
                Arguments.of('F', bytes(1, (short) 0, (short) 2, -1), "argument count 2 exceeds"),
                Arguments.of('Z', bytes(), "invalid frontend message type 'Z'"),
                Arguments.of((char) 0, bytes(), "invalid frontend message type 0x00"));
    }

    static Stream<Arguments> badBackendBodies() {
        return Stream.of(
                Arguments.of('R', bytes(), "truncated"),
                Arguments.of('R', bytes(99), "unknown authentication request code 99"),
                Arguments.of('R', bytes(5, (short) 1), "truncated, expected 4 bytes"),
                Arguments.of('R', bytes(10, "SCRAM-SHA-256"), "missing its terminator"),
                Arguments.of('R', bytes(0, 0), "trailing bytes"),
                Arguments.of('Z', bytes('X'), "unknown transaction status"),
                Arguments.of('Z', bytes(), "truncated"),
                Arguments.of('E', bytes('S', "ERROR"), "truncated"),
                Arguments.of('E', bytes('S', "ERROR", 'S', "FATAL", (byte) 0), "appears twice"),
                Arguments.of('E', bytes((byte) 0x80, "x", (byte) 0), "not ASCII"),
                Arguments.of('D', bytes((short) 2, 1, (byte) 'a'), "column count 2 exceeds"),
                Arguments.of('D', bytes((short) 1, 5, (byte) 'a'), "truncated, expected 5 bytes"),
                Arguments.of('T', bytes((short) 1, "a", 0), "column count 1 exceeds"),
                Arguments.of('G', bytes((byte) 2, (short) 0), "copy format must be 0 (text) or 1 (binary)"),
                Arguments.of('H', bytes((byte) 0, (short) 3, (short) 0), "column format count 3 exceeds"),
                Arguments.of('K', bytes(1), "truncated"),
                Arguments.of('v', bytes(0, 1000), "option count 1000 does not fit"),
                Arguments.of('v', bytes(0, -1), "option count -1 does not fit"),
                Arguments.of('t', bytes((short) 5), "parameter count 5 exceeds"),
                Arguments.of('A', bytes(1, "channel"), "missing its terminator"),
                Arguments.of('V', bytes(-7), "negative field length -7"),
                Arguments.of('Q', bytes(), "invalid backend message type 'Q'"));
    }

    @ParameterizedTest
    @MethodSource("badFrontendBodies")
    void frontendBodyIsRejected(char type, byte[] body, String reason) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            assertThatThrownBy(() -> FrontendMessages.decode((byte) type, buf, AuthResponseKind.PASSWORD))
                    .isInstanceOfSatisfying(ProtocolException.class,
                            e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION))
                    .hasMessageContaining(reason);
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @MethodSource("badBackendBodies")
    void backendBodyIsRejected(char type, byte[] body, String reason) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            assertThatThrownBy(() -> BackendMessages.decode((byte) type, buf))
                    .isInstanceOfSatisfying(ProtocolException.class,
                            e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION))
                    .hasMessageContaining(reason);
        } finally {
            buf.release();
        }
    }

    static Stream<Arguments> badAuthResponses() {
        return Stream.of(
                Arguments.of(AuthResponseKind.PASSWORD, bytes(), "missing its terminator"),
                Arguments.of(AuthResponseKind.SASL_INITIAL, bytes("SCRAM-SHA-256"), "truncated"),
                Arguments.of(AuthResponseKind.SASL_INITIAL, bytes("SCRAM-SHA-256", 50, (byte) 'n'), "truncated, expected 50 bytes"),
                Arguments.of(AuthResponseKind.SASL_INITIAL, bytes("SCRAM-SHA-256", -5), "negative field length -5"),
                Arguments.of(AuthResponseKind.SASL_INITIAL, bytes("SCRAM-SHA-256", 0, (byte) 1), "trailing bytes"));
    }

    @ParameterizedTest
    @MethodSource("badAuthResponses")
    void authenticationResponseIsRejected(AuthResponseKind kind, byte[] body, String reason) {
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            assertThatThrownBy(() -> FrontendMessages.decode((byte) 'p', buf, kind))
                    .isInstanceOf(ProtocolException.class)
                    .hasMessageContaining(reason);
        } finally {
            buf.release();
        }
    }
}
