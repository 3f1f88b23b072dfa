package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.ProxyConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import dev.pgtenant.protocol.message.backend.NotificationResponse;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.frontend.Query;
import org.postgresql.PGConnection;

/**
 * PostgreSQL sends values of up to 1 GB in one DataRow or CopyData message. The proxy relays those
 * in parts as they arrive, whatever {@code maxMessageSize} (which bounds what clients send): here
 * 1 MiB values through a proxy whose limit is 64 KiB, in every pool mode, and the session goes on.
 */
class LargeValuesTest {

    private static final int LIMIT = 64 * 1024;
    /** 32,768 MD5s in hex: a 1 MiB text whose every part differs, so a lost or repeated part shows. */
    private static final String VALUE = "(SELECT string_agg(md5(g::text), '' ORDER BY g) AS v FROM generate_series(1, 32768) g)";
    private static final int VALUE_LENGTH = 32_768 * 32;
    /** A row far larger than what the sockets and the relay's water mark hold, so a client that stops reading keeps it in the middle. */
    private static final int HELD_ROW = 32 * 1024 * 1024;

    static Stream<Arguments> modes() {
        return Stream.of(
                Arguments.of("session mode", ProxyConfig.DEFAULTS.withPool(ProxyFixture.pool(2, 10, java.time.Duration.ofSeconds(30)))),
                Arguments.of("session mode across event loops",
                        ProxyConfig.DEFAULTS.withPool(ProxyFixture.pool(2, 10, java.time.Duration.ofSeconds(30))).withIoThreads(3)),
                Arguments.of("transaction mode", ProxyConfig.DEFAULTS.withPool(ProxyFixture.transactionPool(2))),
                // Clients and the connections they are lent sit on different loops, whose messages travel as frames.
                Arguments.of("transaction mode across event loops",
                        ProxyConfig.DEFAULTS.withPool(ProxyFixture.transactionPool(2)).withIoThreads(3)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void valuesLargerThanTheMessageLimitArriveWhole(String mode, ProxyConfig config) throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(config.withMaxMessageSize(LIMIT), "a")) {
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < 4; c++) {
                    done.add(clients.submit(() -> {
                        readLargeValues(proxy);
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get(2, TimeUnit.MINUTES);
                }
            } finally {
                clients.shutdownNow();
            }
        }
    }

    private static void readLargeValues(ProxyFixture proxy) throws Exception {
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            for (int round = 0; round < 3; round++) {
                try (ResultSet row = statement.executeQuery("SELECT v, md5(v), decode(v, 'hex') FROM " + VALUE + " s")) {
                    assertThat(row.next()).isTrue();
                    String value = row.getString(1);
                    assertThat(value).hasSize(VALUE_LENGTH);
                    assertThat(md5(value)).isEqualTo(row.getString(2));
                    assertThat(row.getBytes(3)).hasSize(VALUE_LENGTH / 2);
                }
                ByteArrayOutputStream copied = new ByteArrayOutputStream();
                long rows = connection.unwrap(PGConnection.class).getCopyAPI()
                        .copyOut("COPY (SELECT v, md5(v) FROM " + VALUE + " s) TO STDOUT", copied);
                assertThat(rows).isEqualTo(1);
                String[] fields = copied.toString(StandardCharsets.US_ASCII).split("\t");
                assertThat(fields[0]).hasSize(VALUE_LENGTH);
                assertThat(md5(fields[0]) + "\n").isEqualTo(fields[1]);
                try (ResultSet small = statement.executeQuery("SELECT current_database()")) {
                    assertThat(small.next()).isTrue();
                    assertThat(small.getString(1)).isEqualTo(proxy.database("a"));
                }
            }
        }
    }

    /**
     * A notification for a client in the middle of a row (passed on in parts, and held there by a
     * client that does not read) waits for the row's end: in the row, the client would read it as data.
     */
    @ParameterizedTest(name = "{0} event loop(s)")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3})
    void aNotificationWaitsForTheEndOfARowInParts(int ioThreads) throws Exception {
        ProxyConfig config = ProxyConfig.DEFAULTS.withPool(ProxyFixture.transactionPool(4)).withIoThreads(ioThreads);
        try (ProxyFixture proxy = ProxyFixture.start(config, "a");
             Connection notifier = proxy.connect("a"); Statement statement = notifier.createStatement()) {
            // The shared listening connection first, so that the idle one made next is the reader's to take,
            // from another loop when there are several.
            statement.execute("LISTEN big_row");
            try (Connection first = proxy.connect("a"); Statement query = first.createStatement()) {
                query.execute("SELECT 1");
            }
            dev.pgtenant.testkit.Await.until(() -> proxy.stats("a").idle() >= 1, java.time.Duration.ofSeconds(10),
                    () -> "an idle connection: " + proxy.stats("a"));
            readRowWhileNotified(proxy, statement, notifier);
        }
    }

    private static void readRowWhileNotified(ProxyFixture proxy, Statement statement, Connection notifier) throws Exception {
        try (ScramClient reader = ScramClient.login(new RawClient(proxy.port(), 16 * 1024), proxy.user("a"), ProxyFixture.PASSWORD)) {
            reader.awaitReady();
            reader.raw().send(new Query("LISTEN big_row"));
            reader.awaitReady();
            reader.raw().send(new Query("SELECT repeat('x', " + HELD_ROW + ")"));
            assertThat(readRowStart(reader.raw())).isEqualTo(HELD_ROW);
            assertThat(readValue(reader.raw(), 64 * 1024)).isEqualTo(64 * 1024);
            statement.execute("NOTIFY big_row, 'hello'");
            // Delivered to both listeners in one go: once the notifier has it, the reader's is on its way.
            assertThat(notifier.unwrap(PGConnection.class).getNotifications(10_000)).extracting(n -> n.getParameter())
                    .containsExactly("hello");
            assertThat(readValue(reader.raw(), HELD_ROW - 64 * 1024)).as("the rest of the row, all of it 'x'")
                    .isEqualTo(HELD_ROW - 64 * 1024);
            List<Object> after = new ArrayList<>();
            for (Object message = reader.raw().receive(); ; message = reader.raw().receive()) {
                after.add(message instanceof NotificationResponse n ? "notification " + n.payload() : message.getClass().getSimpleName());
                if (message instanceof ReadyForQuery) {
                    break;
                }
            }
            assertThat(after).contains("notification hello").endsWith("ReadyForQuery");
        }
    }

    /**
     * A session that must end while its client has only part of a row (here the server goes away
     * mid-row) closes without its FATAL error, as PostgreSQL does: after part of a row, the client
     * would read the error as the row's data.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void aSessionEndingMidRowClosesWithoutAnErrorInTheRow(String mode, ProxyConfig config) throws Exception {
        try (SessionLog sessions = new SessionLog();
             ProxyFixture proxy = startWithAnIdleConnection(config);
             ScramClient reader = ScramClient.login(new RawClient(proxy.port(), 16 * 1024), proxy.user("a"), ProxyFixture.PASSWORD);
             Connection superuser = dev.pgtenant.testkit.TestPostgres.get().connect();
             Statement statement = superuser.createStatement()) {
            reader.awaitReady();
            reader.raw().send(new Query("SELECT repeat('x', " + HELD_ROW + ")"));
            assertThat(readRowStart(reader.raw())).isEqualTo(HELD_ROW);
            assertThat(readValue(reader.raw(), 64 * 1024)).isEqualTo(64 * 1024);
            String running = "FROM pg_stat_activity WHERE datname = '" + proxy.database("a") + "' AND query LIKE 'SELECT repeat%'";
            try (ResultSet terminated = statement.executeQuery("SELECT pg_terminate_backend(pid) " + running)) {
                assertThat(terminated.next()).isTrue();
            }
            dev.pgtenant.testkit.Await.until(() -> {
                try (ResultSet left = statement.executeQuery("SELECT count(*) " + running)) {
                    return left.next() && left.getInt(1) == 0;
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            }, java.time.Duration.ofSeconds(10), () -> "the backend still runs the query");
            long rest = readValue(reader.raw(), HELD_ROW);
            assertThat(rest).as("the row ends early, with nothing but its own bytes").isLessThan(HELD_ROW - 64 * 1024);
            dev.pgtenant.testkit.Await.until(() -> sessions.has(proxy.user("a"), "closed without sending the error"),
                    java.time.Duration.ofSeconds(10), () -> "the session ends without its error: " + sessions.lines());
        }
    }

    /**
     * The same when the proxy itself ends the session mid-row, here because the organization left
     * the registry: the session's end is decided on the client's loop while the row's parts may come
     * from another.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("modes")
    void aSessionTheProxyEndsMidRowClosesWithoutAnErrorInTheRow(String mode, ProxyConfig config) throws Exception {
        try (SessionLog sessions = new SessionLog();
             ProxyFixture proxy = startWithAnIdleConnection(config);
             ScramClient reader = ScramClient.login(new RawClient(proxy.port(), 16 * 1024), proxy.user("a"), ProxyFixture.PASSWORD)) {
            reader.awaitReady();
            reader.raw().send(new Query("SELECT repeat('x', " + HELD_ROW + ")"));
            assertThat(readRowStart(reader.raw())).isEqualTo(HELD_ROW);
            assertThat(readValue(reader.raw(), 64 * 1024)).isEqualTo(64 * 1024);
            dev.pgtenant.config.registry.Registry before = proxy.registry();
            proxy.update(registry -> registry.withoutOrganization(proxy.orgId("a")));
            proxy.server().registryChanged(before, proxy.registry());
            dev.pgtenant.testkit.Await.until(() -> sessions.has(proxy.user("a"), "closed without sending the error"),
                    java.time.Duration.ofSeconds(10), () -> "the session ends without its error: " + sessions.lines());
            assertThat(readValue(reader.raw(), HELD_ROW)).as("the row ends early, with nothing but its own bytes")
                    .isLessThan(HELD_ROW - 64 * 1024);
        }
    }

    /**
     * A proxy whose pool holds an idle connection made for a first client: with several event loops,
     * the next client is accepted on another loop than that connection's, and takes it, so that the
     * row's parts cross loops (where a connection is made for a client, it is made on the client's loop).
     */
    private static ProxyFixture startWithAnIdleConnection(ProxyConfig config) throws Exception {
        ProxyFixture proxy = ProxyFixture.start(config, "a");
        try (Connection first = proxy.connect("a"); Statement statement = first.createStatement()) {
            statement.execute("SELECT 1");
        }
        dev.pgtenant.testkit.Await.until(() -> proxy.stats("a").idle() == 1 && proxy.stats("a").active() == 0,
                java.time.Duration.ofSeconds(10), () -> "the first client's connection is idle: " + proxy.stats("a"));
        return proxy;
    }

    /** Reads the RowDescription and the header of the one-column DataRow after it; returns the value's length. */
    private static int readRowStart(RawClient raw) throws java.io.IOException {
        assertThat(raw.receive()).isInstanceOf(dev.pgtenant.protocol.message.backend.RowDescription.class);
        java.io.DataInputStream in = raw.input();
        assertThat((char) in.readByte()).isEqualTo('D');
        int messageLength = in.readInt();
        assertThat(in.readShort()).isEqualTo((short) 1);
        int valueLength = in.readInt();
        assertThat(messageLength).isEqualTo(4 + 2 + 4 + valueLength);
        return valueLength;
    }

    /** Reads up to {@code count} bytes of a value of 'x's, failing on any other byte; returns how many came before the end of the stream. */
    private static long readValue(RawClient raw, long count) throws java.io.IOException {
        byte[] chunk = new byte[64 * 1024];
        long read = 0;
        while (read < count) {
            int got;
            try {
                got = raw.input().read(chunk, 0, (int) Math.min(chunk.length, count - read));
            } catch (java.net.SocketException reset) {
                return read;
            }
            if (got < 0) {
                return read;
            }
            for (int i = 0; i < got; i++) {
                if (chunk[i] != 'x') {
                    throw new AssertionError("byte " + (read + i) + " of the value is " + chunk[i] + ", not 'x'");
                }
            }
            read += got;
        }
        return read;
    }

    private static String md5(String text) throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.US_ASCII));
        return java.util.HexFormat.of().formatHex(digest);
    }
}
