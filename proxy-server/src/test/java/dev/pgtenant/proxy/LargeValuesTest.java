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

    static Stream<Arguments> modes() {
        return Stream.of(
                Arguments.of("session mode", ProxyConfig.DEFAULTS.withPool(ProxyFixture.pool(2, 10, java.time.Duration.ofSeconds(30)))),
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

    private static String md5(String text) throws Exception {
        byte[] digest = java.security.MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.US_ASCII));
        return java.util.HexFormat.of().formatHex(digest);
    }
}
