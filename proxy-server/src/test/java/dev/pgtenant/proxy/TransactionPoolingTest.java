package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.CloseComplete;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ParseComplete;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.frontend.Close;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.PortalOrStatement;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.Sync;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Many clients share few backend connections, one transaction at a time, and notice nothing. */
class TransactionPoolingTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start(ProxyFixture.transactionPool(5), "a");
        try (Connection setup = TestSupport.superuser(proxy.database("a")); Statement statement = setup.createStatement()) {
            statement.execute("SET ROLE " + proxy.database("a"));
            statement.execute("CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance bigint NOT NULL)");
            statement.execute("INSERT INTO accounts SELECT g, 'client' || g, 0 FROM generate_series(0, 49) g");
        }
    }

    /**
     * Statements prepared while no backend is held are answered by the proxy; the bytes of their
     * Parse messages must stop counting toward the limit on what a client may send while it waits.
     */
    @Test
    void preparingWithoutABackendDoesNotAddUpTowardTheWaitingLimit() throws IOException {
        String padding = "x".repeat(100_000);
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            for (int i = 0; i < 15; i++) {
                client.raw().send(new Parse("held_" + i,
                        "SELECT 1 /* " + padding + " */", List.of()));
                client.raw().send(new Sync());
                assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            }
        }
    }

    /**
     * A client that pipelines more than the waiting limit while every backend is busy is held in its
     * socket, not cut off, and gets every answer once a backend frees up.
     */
    @Test
    void aClientPipeliningWhileEveryBackendIsBusyWaitsInItsSocket() throws Exception {
        int queries = 40;
        String padding = "x".repeat(50_000);
        try (ProxyFixture single = ProxyFixture.start(ProxyFixture.transactionPool(1), "p");
             Connection holder = single.connect("p");
             ScramClient pipelining = ScramClient.login(single.port(), single.user("p"), ProxyFixture.PASSWORD)) {
            pipelining.awaitReady();
            holder.setAutoCommit(false);
            try (Statement statement = holder.createStatement()) {
                statement.execute("SELECT 1");
            }
            java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < queries; i++) {
                        pipelining.raw().send(new Query("SELECT " + i + " /* " + padding + " */"));
                        written.incrementAndGet();
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            // More than the proxy holds before it stops reading; the rest waits in the sockets.
            dev.pgtenant.testkit.Await.until(() -> written.get() >= 4, java.time.Duration.ofSeconds(30),
                    () -> "the client could write only " + written.get() + " queries");
            holder.commit();
            for (int i = 0; i < queries; i++) {
                BackendMessage message;
                do {
                    message = pipelining.raw().receive();
                    assertThat(message).isNotInstanceOf(ErrorResponse.class);
                } while (!(message instanceof DataRow));
                assertThat(new String(((DataRow) message).values().get(0).toByteArray())).isEqualTo(Integer.toString(i));
                assertThat(pipelining.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            }
            sent.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The session reads the client's messages itself once logged in: a query sent in the same write
     * as the last login message, still in the login decoder's buffer when the session takes over,
     * is answered like any other.
     */
    @Test
    void aQuerySentWithTheLastLoginMessageIsAnswered() throws IOException {
        try (RawClient raw = new RawClient(proxy.port())) {
            raw.startup(proxy.user("a"));
            dev.pgtenant.protocol.auth.ClientLogin login = dev.pgtenant.protocol.auth.ClientLogin.withPassword(
                    proxy.user("a"), ProxyFixture.PASSWORD);
            while (!login.authenticated()) {
                BackendMessage message = raw.receive();
                assertThat(message).isNotInstanceOf(ErrorResponse.class);
                var answer = login.respond((dev.pgtenant.protocol.message.backend.Authentication) message);
                if (answer.isPresent()) {
                    boolean last = message instanceof dev.pgtenant.protocol.message.backend.Authentication.SaslContinue;
                    byte[] bytes = RawClient.encode(answer.get()::encode);
                    raw.send(last ? concat(bytes, RawClient.encode(new Query("SELECT 4242")::encode)) : bytes);
                }
            }
            ScramClient.awaitReady(raw);
            BackendMessage message;
            do {
                message = raw.receive();
                assertThat(message).isNotInstanceOf(ErrorResponse.class);
            } while (!(message instanceof DataRow));
            assertThat(new String(((DataRow) message).values().get(0).toByteArray())).isEqualTo("4242");
            assertThat(ScramClient.awaitReady(raw)).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
        }
    }

    /**
     * The relay reads a client's messages where they lie in its read, next to each other: a field
     * that runs to its message's end must not be completed from the next message's bytes. Here the
     * Bind's statement name, "s1" unterminated, would read on into the Sync after it as "s1S", a
     * statement this client did prepare.
     */
    @Test
    void anUnterminatedNameIsNotReadOnIntoTheNextMessage() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            client.raw().send(concat(RawClient.encode(new Parse("s1S", "SELECT 1", List.of())::encode),
                    RawClient.encode(new Sync()::encode)));
            assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            byte[] bind = {'B', 0, 0, 0, 7, 0, 's', '1'};
            client.raw().send(concat(bind, RawClient.encode(new Sync()::encode)));
            BackendMessage reply = client.raw().receive();
            assertThat(reply).isInstanceOf(ErrorResponse.class);
            assertThat(((ErrorResponse) reply).sqlState()).isEqualTo("08P01");
            assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            client.raw().send(RawClient.encode(new Query("SELECT 1")::encode));
            assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
        }
    }

    /**
     * Queries that arrive while the proxy answers a LISTEN wait for a backend; one the proxy answers
     * itself among them (DEALLOCATE ALL) must not give that backend back before the rest is sent.
     */
    @Test
    void aHeldQueryAfterOneTheProxyAnswersIsStillSent() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            client.raw().send(concat(concat(RawClient.encode(new Query("LISTEN held_after_answer")::encode),
                    RawClient.encode(new Query("DEALLOCATE ALL")::encode)),
                    RawClient.encode(new Query("SELECT 4343")::encode)));
            assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            BackendMessage message;
            do {
                message = client.raw().receive();
                assertThat(message).isNotInstanceOf(ErrorResponse.class);
            } while (!(message instanceof DataRow));
            assertThat(new String(((DataRow) message).values().get(0).toByteArray())).isEqualTo("4343");
            assertThat(client.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
        }
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = java.util.Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    @Test
    void aQueryOverAMegabyteStartsATransactionLikeAnyOther() throws SQLException {
        try (Connection client = proxy.connect("a"); Statement statement = client.createStatement();
             ResultSet row = statement.executeQuery("SELECT length('" + "x".repeat(2_000_000) + "')")) {
            row.next();
            assertThat(row.getInt(1)).isEqualTo(2_000_000);
        }
    }

    @Test
    void statementsToPrepareBeyondTheLimitWithoutTheirSyncEndTheSessionWith54000() throws IOException {
        String padding = "x".repeat(100_000);
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            for (int i = 0; i < 12; i++) {
                client.raw().send(new Parse("unsynced_" + i, "SELECT 1 /* " + padding + " */", List.of()));
            }
            assertThat(client.raw().fatal().sqlState()).isEqualTo("54000");
            assertThat(client.raw().closedByPeer()).isTrue();
        }
    }

    /**
     * Named statements prepared with their Sync are kept by the proxy with no backend involved, each
     * up to a message long: their SQL is bounded per session in bytes too, not only in number. Closing
     * one gives its room back.
     */
    @Test
    void theSqlOfAClientsNamedStatementsIsBoundedInBytes() throws IOException {
        String padding = "x".repeat(30 * 1024 * 1024);
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            for (int i = 0; i < 2; i++) {
                client.raw().send(new Parse("large_" + i, "SELECT 1 /* " + padding + " */", List.of())).send(new Sync());
                assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            }
            client.raw().send(new Close(PortalOrStatement.STATEMENT, "large_0")).send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(CloseComplete.class);
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            client.raw().send(new Parse("large_2", "SELECT 1 /* " + padding + " */", List.of())).send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);

            client.raw().send(new Parse("large_3", "SELECT 1 /* " + padding + " */", List.of())).send(new Sync());
            ErrorResponse error = client.raw().fatal();
            assertThat(error.sqlState()).isEqualTo("54000");
            assertThat(error.message()).contains("MB of SQL");
            assertThat(client.raw().closedByPeer()).isTrue();
        }
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @Test
    void fiftyPgjdbcClientsOverFiveBackendsWithServerPreparedStatements() throws Exception {
        int clients = Integer.getInteger("tp.clients", 50);
        int rounds = Integer.getInteger("tp.rounds", 40);
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = c;
                results.add(threads.submit(() -> runClient(id, rounds)));
            }
            int statements = 0;
            for (Future<Integer> result : results) {
                statements += result.get(5, TimeUnit.MINUTES);
            }
            assertThat(statements).isGreaterThanOrEqualTo(clients * rounds * 3);
        } finally {
            threads.shutdownNow();
        }
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            assertThat(SessionResetTest.single(statement, "SELECT sum(balance) FROM accounts"))
                    .isEqualTo(Long.toString((long) clients * rounds * 3));
        }
        assertThat(proxy.server().statementCounters().cacheHits()).isPositive();
        assertThat(proxy.server().statementCounters().preparedOnBackends()).isPositive();
        assertThat(proxy.stats("a").active() + proxy.stats("a").idle()).isLessThanOrEqualTo(5);
    }

    /** A client with pgjdbc's default prepareThreshold (server-side statements after five uses). */
    private static int runClient(int id, int rounds) throws SQLException {
        int executed = 0;
        try (Connection connection = proxy.connect("a");
             PreparedStatement credit = connection.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
             PreparedStatement read = connection.prepareStatement("SELECT owner, balance FROM accounts WHERE id = ?");
             PreparedStatement echo = connection.prepareStatement("SELECT ?::int * 2, ?::text, current_database()")) {
            long expected = 0;
            for (int round = 0; round < rounds; round++) {
                boolean transaction = ThreadLocalRandom.current().nextBoolean();
                connection.setAutoCommit(!transaction);
                credit.setLong(1, 3);
                credit.setInt(2, id);
                assertThat(credit.executeUpdate()).isEqualTo(1);
                expected += 3;
                read.setInt(1, id);
                try (ResultSet rows = read.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1)).isEqualTo("client" + id);
                    assertThat(rows.getLong(2)).isEqualTo(expected);
                }
                echo.setInt(1, round);
                echo.setString(2, "c" + id);
                try (ResultSet rows = echo.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getInt(1)).isEqualTo(round * 2);
                    assertThat(rows.getString(2)).isEqualTo("c" + id);
                    assertThat(rows.getString(3)).isEqualTo(proxy.database("a"));
                }
                if (transaction) {
                    connection.commit();
                }
                executed += 3;
            }
        }
        return executed;
    }
}
