package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.SaslInitialResponse;
import dev.pgtenant.protocol.message.startup.SslRequest;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.testkit.Await;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Clients that break the protocol get a clear error or a clean close, and everyone else is served. */
class BadClientInputTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start("a");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @AfterEach
    void othersAreStillServed() throws SQLException {
        try (Connection connection = proxy.connect("a")) {
            assertThat(RoutingIntegrationTest.canary(connection)).isEqualTo(proxy.orgId("a"));
        }
    }

    private static RawClient client() throws IOException {
        return new RawClient(proxy.port());
    }

    @Test
    void garbageBeforeStartup() throws IOException {
        try (RawClient client = client()) {
            ErrorResponse error = client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).fatal();
            assertThat(error.sqlState()).isEqualTo("08P01");
            assertThat(error.message()).contains("invalid length of startup packet");
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void randomBytesBeforeStartup() throws IOException {
        Random random = new Random(42);
        for (int i = 0; i < 20; i++) {
            byte[] garbage = new byte[1 + random.nextInt(200)];
            random.nextBytes(garbage);
            try (RawClient client = client()) {
                client.send(garbage);
                assertThat(client.closedByPeer()).isTrue();
            }
        }
    }

    @Test
    void oversizedStartupPacket() throws IOException {
        try (RawClient client = client()) {
            ErrorResponse error = client.send(ByteBuffer.allocate(8).putInt(20_000).putInt(196_608).array()).fatal();
            assertThat(error.message()).contains("invalid length of startup packet: 20000");
        }
    }

    @Test
    void unsupportedProtocolVersion() throws IOException {
        try (RawClient client = client()) {
            ErrorResponse error = client.send(ByteBuffer.allocate(8).putInt(8).putInt(2 << 16).array()).fatal();
            assertThat(error.sqlState()).isEqualTo("0A000");
            assertThat(error.message()).contains("unsupported frontend protocol 2.0");
        }
    }

    @Test
    void startupWithoutUser() throws IOException {
        try (RawClient client = client()) {
            ErrorResponse error = client.send(new StartupMessage(Map.of("database", "app"))).fatal();
            assertThat(error.sqlState()).isEqualTo("28000");
        }
    }

    @Test
    void sslRequestIsDeclinedAndThePlainSessionContinues() throws IOException {
        try (RawClient client = client()) {
            client.send(new SslRequest());
            assertThat(client.readByte()).isEqualTo('N');
            client.startup(proxy.user("a"));
            assertThat(client.receive()).isInstanceOf(Authentication.Sasl.class);
        }
    }

    /** As PostgreSQL does: an encryption request declined once is not answered again. */
    @Test
    void aSecondSslRequestIsRefused() throws IOException {
        try (RawClient client = client()) {
            client.send(new SslRequest());
            assertThat(client.readByte()).isEqualTo('N');
            ErrorResponse error = client.send(new SslRequest()).fatal();
            assertThat(error.sqlState()).isEqualTo("08P01");
            assertThat(error.message()).contains("SSL encryption a second time");
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    /**
     * The error quotes the malformed SCRAM attribute, NUL and all; a NUL cannot travel in a protocol
     * string, and the error must still go out and the connection close, for a known user or not.
     */
    @Test
    void aNulInTheSaslDataIsRefusedAndTheConnectionCloses() throws IOException {
        for (String user : List.of(proxy.user("a"), "nobody")) {
            try (RawClient client = client()) {
                client.startup(user);
                assertThat(client.receive()).isInstanceOf(Authentication.Sasl.class);
                ErrorResponse error = client.send(new SaslInitialResponse("SCRAM-SHA-256",
                        ByteString.copyOf("n,,\0".getBytes(StandardCharsets.US_ASCII)))).fatal();
                assertThat(error.sqlState()).isEqualTo("08P01");
                assertThat(error.message()).contains("\\0");
                assertThat(client.closedByPeer()).isTrue();
            }
        }
    }

    @Test
    void queryBeforeAuthentication() throws IOException {
        try (RawClient client = client()) {
            client.startup(proxy.user("a"));
            assertThat(client.receive()).isInstanceOf(Authentication.Sasl.class);
            ErrorResponse error = client.send(new Query("SELECT * FROM canary")).fatal();
            assertThat(error.sqlState()).isEqualTo("08P01");
            assertThat(error.message()).contains("expected a SASL response");
            assertThat(client.closedByPeer()).isTrue();
        }
    }

    @Test
    void secondStartupMessageDuringSasl() throws IOException {
        try (RawClient client = client()) {
            client.startup(proxy.user("a"));
            assertThat(client.receive()).isInstanceOf(Authentication.Sasl.class);
            ErrorResponse error = client.startup(proxy.user("a")).fatal();
            assertThat(error.sqlState()).isEqualTo("08P01");
        }
    }

    @Test
    void oversizedAuthenticationMessage() throws IOException {
        try (RawClient client = client()) {
            client.startup(proxy.user("a"));
            assertThat(client.receive()).isInstanceOf(Authentication.Sasl.class);
            ErrorResponse error = client.send(ByteBuffer.allocate(5).put((byte) 'p').putInt(1_000_000).array()).fatal();
            assertThat(error.sqlState()).isEqualTo("54000");
        }
    }

    @Test
    void halfWrittenStartupThenDisconnect() throws IOException {
        try (RawClient client = client()) {
            client.send(ByteBuffer.allocate(6).putInt(60).putShort((short) 3).array());
        }
    }

    @Test
    void abruptDisconnectDuringSasl() throws IOException {
        try (RawClient client = client()) {
            client.startup(proxy.user("a"));
            assertThat(client.receive()).isInstanceOf(Authentication.Sasl.class);
        }
    }

    @Test
    void halfWrittenQueryThenDisconnectReturnsTheBackendToThePool() throws Exception {
        try (Connection connection = proxy.connect("a")) {
            assertThat(connection.isValid(5)).isTrue();
        }
        Await.until(() -> proxy.stats("a").active() == 0, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
        int idleBefore = proxy.stats("a").idle();
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            client.raw().send(new byte[] {'Q', 0, 0, 0, 100, 'S', 'E', 'L'});
        }
        Await.until(() -> proxy.stats("a").active() == 0 && proxy.stats("a").idle() >= idleBefore,
                Duration.ofSeconds(10), () -> "pool did not return to its baseline: " + proxy.stats("a"));
    }
}
