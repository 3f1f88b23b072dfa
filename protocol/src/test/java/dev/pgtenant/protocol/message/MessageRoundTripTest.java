package dev.pgtenant.protocol.message;

import static dev.pgtenant.protocol.Wire.bytes;
import static dev.pgtenant.protocol.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.Wire;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.BackendKeyData;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.backend.BindComplete;
import dev.pgtenant.protocol.message.backend.CloseComplete;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.CopyDone;
import dev.pgtenant.protocol.message.backend.CopyResponse;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.EmptyQueryResponse;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.FunctionCallResponse;
import dev.pgtenant.protocol.message.backend.NegotiateProtocolVersion;
import dev.pgtenant.protocol.message.backend.NoData;
import dev.pgtenant.protocol.message.backend.NoticeResponse;
import dev.pgtenant.protocol.message.backend.NotificationResponse;
import dev.pgtenant.protocol.message.backend.ParameterDescription;
import dev.pgtenant.protocol.message.backend.ParameterStatus;
import dev.pgtenant.protocol.message.backend.ParseComplete;
import dev.pgtenant.protocol.message.backend.PortalSuspended;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.ReadyForQuery.TransactionStatus;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.frontend.Bind;
import dev.pgtenant.protocol.message.frontend.Close;
import dev.pgtenant.protocol.message.frontend.CopyData;
import dev.pgtenant.protocol.message.frontend.CopyFail;
import dev.pgtenant.protocol.message.frontend.Describe;
import dev.pgtenant.protocol.message.frontend.Execute;
import dev.pgtenant.protocol.message.frontend.Flush;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.frontend.FrontendMessages;
import dev.pgtenant.protocol.message.frontend.FrontendMessages.AuthResponseKind;
import dev.pgtenant.protocol.message.frontend.FunctionCall;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.PasswordMessage;
import dev.pgtenant.protocol.message.frontend.PortalOrStatement;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.SaslInitialResponse;
import dev.pgtenant.protocol.message.frontend.SaslResponse;
import dev.pgtenant.protocol.message.frontend.Sync;
import dev.pgtenant.protocol.message.frontend.Terminate;
import dev.pgtenant.protocol.message.startup.CancelRequest;
import dev.pgtenant.protocol.message.startup.GssEncRequest;
import dev.pgtenant.protocol.message.startup.SslRequest;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.protocol.message.startup.StartupPacket;
import dev.pgtenant.protocol.message.startup.StartupPackets;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

public class MessageRoundTripTest {

    static ByteString bs(String text) {
        return ByteString.copyOf(text.getBytes(StandardCharsets.UTF_8));
    }

    public static Stream<BackendMessage> backendMessages() {
        Map<Character, String> noticeFields = new LinkedHashMap<>();
        noticeFields.put('S', "WARNING");
        noticeFields.put('V', "WARNING");
        noticeFields.put('C', "01000");
        noticeFields.put('M', "there is no transaction in progress");
        noticeFields.put('F', "xact.c");
        noticeFields.put('L', "4002");
        noticeFields.put('R', "UserAbortTransactionBlock");
        return Stream.of(
                new Authentication.Ok(),
                new Authentication.KerberosV5(),
                new Authentication.CleartextPassword(),
                new Authentication.Md5Password(ByteString.copyOf(new byte[] {1, 2, 3, 4})),
                new Authentication.Gss(),
                new Authentication.GssContinue(bs("gss token")),
                new Authentication.Sspi(),
                new Authentication.Sasl(List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")),
                new Authentication.SaslContinue(bs("r=abc,s=c2FsdA==,i=4096")),
                new Authentication.SaslFinal(bs("v=c2lnbmF0dXJl")),
                new ParameterStatus("TimeZone", "Europe/Zürich"),
                new BackendKeyData(4242, -1_234_567),
                new ReadyForQuery(TransactionStatus.IDLE),
                new ReadyForQuery(TransactionStatus.IN_TRANSACTION),
                new ReadyForQuery(TransactionStatus.FAILED_TRANSACTION),
                ErrorResponse.fatal(SqlState.INVALID_PASSWORD, "password authentication failed for user \"alice\""),
                ErrorResponse.of(ErrorResponse.Severity.ERROR, SqlState.INSUFFICIENT_PRIVILEGE, "denied", "ask an admin"),
                new NoticeResponse(noticeFields),
                new CommandComplete("INSERT 0 3"),
                new ParseComplete(),
                new BindComplete(),
                new CloseComplete(),
                new NoData(),
                new EmptyQueryResponse(),
                new PortalSuspended(),
                new CopyResponse.CopyInResponse(0, List.of((short) 0, (short) 0)),
                new CopyResponse.CopyOutResponse(1, List.of((short) 1)),
                new CopyResponse.CopyBothResponse(0, List.of()),
                new dev.pgtenant.protocol.message.backend.CopyData(bs("1\tone\n")),
                new CopyDone(),
                new NotificationResponse(77, "orders", "{\"id\": 5}"),
                new NegotiateProtocolVersion(0, List.of("_pq_.compression")),
                new DataRow(Arrays.asList(bs("42"), null, ByteString.EMPTY)),
                new RowDescription(List.of(RowDescription.Column.text("name", 25),
                        new RowDescription.Column("id", 16_384, (short) 1, 23, (short) 4, -1, (short) 1))),
                new ParameterDescription(List.of(23, 25, 0)),
                new FunctionCallResponse(bs("result")),
                new FunctionCallResponse(null));
    }

    public static Stream<FrontendMessage> frontendMessages() {
        return Stream.of(
                new Query("SELECT 1; SELECT 'ü'"),
                new Parse("s1", "SELECT $1::int + $2", List.of(23, 0)),
                new Parse("", "BEGIN", List.of()),
                new Bind("p1", "s1", List.of((short) 1), Arrays.asList(bs("\0\0\0\1"), null), List.of((short) 0, (short) 1)),
                new Bind("", "", List.of(), List.of(), List.of()),
                new Describe(PortalOrStatement.STATEMENT, "s1"),
                new Describe(PortalOrStatement.PORTAL, ""),
                new Execute("p1", 100),
                new Close(PortalOrStatement.STATEMENT, "s1"),
                new Close(PortalOrStatement.PORTAL, "p1"),
                new Sync(),
                new Flush(),
                new Terminate(),
                new CopyData(bs("1\tone\n")),
                new dev.pgtenant.protocol.message.frontend.CopyDone(),
                new CopyFail("client gave up"),
                new FunctionCall(764, List.of((short) 1), Arrays.asList(bs("x"), null), (short) 1));
    }

    static Stream<Arguments> authResponses() {
        return Stream.of(
                Arguments.of(new PasswordMessage("secret"), AuthResponseKind.PASSWORD),
                Arguments.of(new SaslInitialResponse("SCRAM-SHA-256", bs("n,,n=,r=nonce")), AuthResponseKind.SASL_INITIAL),
                Arguments.of(new SaslInitialResponse("SCRAM-SHA-256", null), AuthResponseKind.SASL_INITIAL),
                Arguments.of(new SaslResponse(bs("c=biws,r=nonce,p=cHJvb2Y=")), AuthResponseKind.SASL));
    }

    public static Stream<StartupPacket> startupPackets() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", "alice");
        parameters.put("database", "app");
        parameters.put("application_name", "psql");
        parameters.put("options", "-c search_path=public");
        return Stream.of(new StartupMessage(parameters), new StartupMessage((3 << 16) | 2, Map.of("user", "bob")),
                new SslRequest(), new GssEncRequest(), new CancelRequest(1234, -5));
    }

    @ParameterizedTest
    @MethodSource("backendMessages")
    void backendMessageRoundTrips(BackendMessage original) {
        ByteBuf buf = Unpooled.buffer();
        try {
            original.encode(buf);
            byte type = buf.readByte();
            int length = buf.readInt();
            assertThat(length).isEqualTo(buf.readableBytes() + 4);
            BackendMessage decoded = BackendMessages.decode(type, buf);
            assertThat(decoded).isEqualTo(original);
            assertThat(Wire.encode(decoded::encode)).isEqualTo(Wire.encode(original::encode));
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest
    @MethodSource("frontendMessages")
    void frontendMessageRoundTrips(FrontendMessage original) {
        assertFrontendRoundTrip(original, AuthResponseKind.PASSWORD);
    }

    @ParameterizedTest
    @MethodSource("authResponses")
    void authenticationResponseRoundTrips(FrontendMessage original, AuthResponseKind kind) {
        assertFrontendRoundTrip(original, kind);
    }

    @ParameterizedTest
    @MethodSource("startupPackets")
    void startupPacketRoundTrips(StartupPacket original) {
        ByteBuf buf = Unpooled.buffer();
        try {
            original.encode(buf);
            assertThat(buf.readInt()).isEqualTo(buf.readableBytes() + 4);
            assertThat(StartupPackets.decode(buf)).isEqualTo(original);
        } finally {
            buf.release();
        }
    }

    static Stream<Arguments> referenceBytes() {
        byte[] salt = {9, 8, 7, 6};
        return Stream.of(
                Arguments.of(new StartupMessage(new LinkedHashMap<>(Map.of("user", "alice"))),
                        bytes(4 + 4 + 5 + 6 + 1, 196_608, "user", "alice", (byte) 0)),
                Arguments.of(new SslRequest(), bytes(8, 80_877_103)),
                Arguments.of(new GssEncRequest(), bytes(8, 80_877_104)),
                Arguments.of(new CancelRequest(99, 12_345), bytes(16, 80_877_102, 99, 12_345)),
                Arguments.of(new Authentication.Ok(), message('R', 0)),
                Arguments.of(new Authentication.CleartextPassword(), message('R', 3)),
                Arguments.of(new Authentication.Md5Password(ByteString.copyOf(salt)), message('R', 5, salt)),
                Arguments.of(new Authentication.Sasl(List.of("SCRAM-SHA-256")), message('R', 10, "SCRAM-SHA-256", (byte) 0)),
                Arguments.of(new Authentication.SaslContinue(bs("r=x")), message('R', 11, "r=x".getBytes(StandardCharsets.UTF_8))),
                Arguments.of(new Authentication.SaslFinal(bs("v=y")), message('R', 12, "v=y".getBytes(StandardCharsets.UTF_8))),
                Arguments.of(new PasswordMessage("pw"), message('p', "pw")),
                Arguments.of(new SaslInitialResponse("SCRAM-SHA-256", bs("n,,")),
                        message('p', "SCRAM-SHA-256", 3, "n,,".getBytes(StandardCharsets.UTF_8))),
                Arguments.of(new SaslInitialResponse("SCRAM-SHA-256", null), message('p', "SCRAM-SHA-256", -1)),
                Arguments.of(new SaslResponse(bs("c=biws")), message('p', "c=biws".getBytes(StandardCharsets.UTF_8))),
                Arguments.of(new Parse("s1", "SELECT $1", List.of(23)), message('P', "s1", "SELECT $1", (short) 1, 23)),
                Arguments.of(new Bind("p", "s1", List.of((short) 1), Arrays.asList(bs("ab"), null), List.of((short) 0)),
                        message('B', "p", "s1", (short) 1, (short) 1, (short) 2, 2, "ab".getBytes(StandardCharsets.UTF_8),
                                -1, (short) 1, (short) 0)),
                Arguments.of(new Describe(PortalOrStatement.STATEMENT, "s1"), message('D', 'S', "s1")),
                Arguments.of(new Execute("p", 0), message('E', "p", 0)),
                Arguments.of(new Close(PortalOrStatement.PORTAL, "p"), message('C', 'P', "p")),
                Arguments.of(new Sync(), message('S')),
                Arguments.of(new Flush(), message('H')),
                Arguments.of(new ParseComplete(), message('1')),
                Arguments.of(new BindComplete(), message('2')),
                Arguments.of(new CloseComplete(), message('3')),
                Arguments.of(new ReadyForQuery(TransactionStatus.IN_TRANSACTION), message('Z', 'T')),
                Arguments.of(new ParameterStatus("client_encoding", "UTF8"), message('S', "client_encoding", "UTF8")),
                Arguments.of(new BackendKeyData(1, 2), message('K', 1, 2)),
                Arguments.of(ErrorResponse.fatal(SqlState.INVALID_PASSWORD, "no"),
                        message('E', 'S', "FATAL", 'V', "FATAL", 'C', "28P01", 'M', "no", (byte) 0)),
                Arguments.of(new NegotiateProtocolVersion(0, List.of("_pq_.x")), message('v', 0, 1, "_pq_.x")));
    }

    @ParameterizedTest
    @MethodSource("referenceBytes")
    void matchesHandBuiltBytesBothWays(Object message, byte[] expected) {
        assertThat(encodeAny(message)).isEqualTo(expected);
        assertThat(decodeAny(message, expected)).isEqualTo(message);
    }

    private static Object decodeAny(Object like, byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            if (like instanceof StartupPacket) {
                buf.skipBytes(4);
                return StartupPackets.decode(buf);
            }
            byte type = buf.readByte();
            buf.skipBytes(4);
            if (like instanceof BackendMessage) {
                return BackendMessages.decode(type, buf);
            }
            AuthResponseKind kind = like instanceof SaslInitialResponse ? AuthResponseKind.SASL_INITIAL
                    : like instanceof SaslResponse ? AuthResponseKind.SASL : AuthResponseKind.PASSWORD;
            return FrontendMessages.decode(type, buf, kind);
        } finally {
            buf.release();
        }
    }

    private static byte[] encodeAny(Object message) {
        if (message instanceof StartupPacket packet) {
            return Wire.encode(packet::encode);
        }
        if (message instanceof BackendMessage backend) {
            return Wire.encode(backend::encode);
        }
        return Wire.encode(((FrontendMessage) message)::encode);
    }

    private static void assertFrontendRoundTrip(FrontendMessage original, AuthResponseKind kind) {
        ByteBuf buf = Unpooled.buffer();
        try {
            original.encode(buf);
            byte type = buf.readByte();
            assertThat(buf.readInt()).isEqualTo(buf.readableBytes() + 4);
            FrontendMessage decoded = FrontendMessages.decode(type, buf, kind);
            assertThat(decoded).isEqualTo(original);
            assertThat(Wire.encode(decoded::encode)).isEqualTo(Wire.encode(original::encode));
        } finally {
            buf.release();
        }
    }
}
