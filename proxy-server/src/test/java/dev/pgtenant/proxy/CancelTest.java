package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.message.backend.BackendKeyData;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.startup.CancelRequest;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A cancel with the proxy's key reaches the backend running the query; a wrong key does nothing. */
class CancelTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start("a");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @Test
    void pgjdbcCancelStopsTheRunningQuery() throws Exception {
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            CompletableFuture<Throwable> running = CompletableFuture.supplyAsync(() -> {
                try {
                    statement.execute("SELECT pg_sleep(60)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            dev.pgtenant.testkit.Await.until(() -> sleeping(proxy) > 0, java.time.Duration.ofSeconds(10), () -> "query never started");
            statement.cancel();
            Throwable outcome = running.get(20, TimeUnit.SECONDS);
            assertThat(outcome).isInstanceOf(SQLException.class);
            assertThat(((SQLException) outcome).getSQLState()).isEqualTo("57014");
            assertThat(SessionResetTest.single(statement, "SELECT 'usable'")).isEqualTo("usable");
        }
    }

    @Test
    void wrongSecretCancelsNothing() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            BackendKeyData key = readKey(client);
            client.raw().send(new Query("SELECT pg_sleep(1)"));
            dev.pgtenant.testkit.Await.until(() -> sleeping(proxy) > 0, java.time.Duration.ofSeconds(10), () -> "query never started");
            try (RawClient canceller = new RawClient(proxy.port())) {
                canceller.send(new CancelRequest(key.processId(), key.secretKey() + 1));
                assertThat(canceller.closedByPeer()).isTrue();
            }
            try (RawClient canceller = new RawClient(proxy.port())) {
                canceller.send(new CancelRequest(key.processId() + 1, key.secretKey()));
                assertThat(canceller.closedByPeer()).isTrue();
            }
            BackendMessage outcome;
            do {
                outcome = client.raw().receive();
                assertThat(outcome).isNotInstanceOf(ErrorResponse.class);
            } while (!(outcome instanceof CommandComplete));
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
        }
    }

    @Test
    void cancelWithTheRightKeyOverRawSockets() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            BackendKeyData key = readKey(client);
            client.raw().send(new Query("SELECT pg_sleep(60)"));
            dev.pgtenant.testkit.Await.until(() -> sleeping(proxy) > 0, java.time.Duration.ofSeconds(10), () -> "query never started");
            try (RawClient canceller = new RawClient(proxy.port())) {
                canceller.send(new CancelRequest(key.processId(), key.secretKey()));
            }
            BackendMessage outcome;
            do {
                outcome = client.raw().receive();
            } while (!(outcome instanceof ErrorResponse) && !(outcome instanceof ReadyForQuery));
            assertThat(outcome).isInstanceOfSatisfying(ErrorResponse.class, e -> assertThat(e.sqlState()).isEqualTo("57014"));
        }
    }

    @Test
    void theClientNeverSeesTheBackendsKey() throws Exception {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            BackendKeyData key = readKey(client);
            client.raw().send(new Query("SELECT pg_backend_pid()"));
            BackendMessage message;
            do {
                message = client.raw().receive();
            } while (!(message instanceof dev.pgtenant.protocol.message.backend.DataRow));
            String backendPid = new String(((dev.pgtenant.protocol.message.backend.DataRow) message).values().get(0).toByteArray());
            assertThat(Integer.toString(key.processId())).isNotEqualTo(backendPid);
        }
    }

    private static BackendKeyData readKey(ScramClient client) throws IOException {
        for (int i = 0; i < 100; i++) {
            BackendMessage message = client.raw().receive();
            if (message instanceof BackendKeyData key) {
                assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
                return key;
            }
        }
        throw new AssertionError("no BackendKeyData");
    }

    /** Backends of the test organization now sleeping in pg_sleep. */
    private static int sleeping(ProxyFixture proxy) {
        try (Connection superuser = dev.pgtenant.testkit.TestPostgres.get().connect();
             Statement statement = superuser.createStatement()) {
            return Integer.parseInt(SessionResetTest.single(statement,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + proxy.database("a")
                            + "' AND query LIKE 'SELECT pg_sleep%' AND state = 'active'"));
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void unusedKeyCancelIsHarmless() {
        assertThatThrownBy(() -> {
            try (RawClient canceller = new RawClient(proxy.port())) {
                canceller.send(new CancelRequest(1, 2));
                assertThat(canceller.closedByPeer()).isTrue();
                throw new IllegalStateException("closed as expected");
            }
        }).hasMessage("closed as expected");
    }
}
