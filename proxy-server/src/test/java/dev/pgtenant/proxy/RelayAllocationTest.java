package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.EventExecutor;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Isolated;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A steady stream of transactions costs the relay's event loops no heap beyond pooled buffers: at
 * 20,000 transactions a second, even a small object each would be a steady flow of young garbage.
 * Bytes are those the proxy's own event-loop threads allocate (HotSpot's per-thread count), so the
 * client drivers in this JVM do not count. They are counted with the leak detector off, as in
 * production: at the tests' paranoid level it records every buffer's allocation. Code the JIT has not
 * compiled yet allocates where compiled code would not, so the verdict is the best of several rounds.
 * One event loop, whatever the machine's cores: this is the path where a client and its backend share
 * a loop, the only one with the default loop count on two cores and the one the pool prefers. Messages
 * between loops are handed over in tasks and frames, which allocate.
 */
@Isolated("switches the leak detector off for the whole JVM while it measures")
class RelayAllocationTest {

    private static final int TRANSACTIONS_PER_ROUND = 2_000;
    private static final int MAX_ROUNDS = 40;
    /** Far below one object per transaction (16 bytes at the least), above rare timer and pool tasks. */
    private static final double MAX_BYTES_PER_TRANSACTION = 4;

    private static ProxyFixture proxy;
    private static long[] loopThreads;

    @BeforeAll
    static void start() throws Exception {
        // One backend connection: with more than one client, nearly every transaction waits for it.
        proxy = ProxyFixture.start(ProxyFixture.transactionPool(1), 1, "a");
        List<Long> ids = new ArrayList<>();
        for (EventExecutor loop : proxy.server().eventLoops()) {
            ids.add(loop.submit(() -> Thread.currentThread().getId()).get(10, TimeUnit.SECONDS));
        }
        loopThreads = ids.stream().mapToLong(Long::longValue).toArray();
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @ParameterizedTest(name = "{0}, {3} client(s)")
    @CsvSource({
        "simple, simple, 0, 1",
        "extended, extended, 0, 1",
        "prepared, extended, 1, 1",
        "simple, simple, 0, 4",
        "extended, extended, 0, 4",
        "prepared, extended, 1, 4"})
    void transactionsAllocateNothingOnTheEventLoops(String mode, String queryMode, int prepareThreshold, int clients)
            throws Exception {
        Properties properties = new Properties();
        properties.setProperty("user", proxy.user("a"));
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("sslmode", "disable");
        properties.setProperty("socketTimeout", "30");
        properties.setProperty("preferQueryMode", queryMode);
        properties.setProperty("prepareThreshold", Integer.toString(prepareThreshold));
        String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app";
        List<Connection> connections = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        ResourceLeakDetector.Level detection = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        try {
            long beforeLogins = allocatedOnLoops();
            for (int c = 0; c < clients; c++) {
                connections.add(DriverManager.getConnection(url, properties));
            }
            assertThat(allocatedOnLoops() - beforeLogins)
                    .as("bytes the logins allocated on the threads watched: they are the proxy's loops")
                    .isPositive();
            double best = Double.MAX_VALUE;
            List<String> rounds = new ArrayList<>();
            for (int round = 0; round < MAX_ROUNDS && best > MAX_BYTES_PER_TRANSACTION; round++) {
                long before = allocatedOnLoops();
                List<Future<?>> done = new ArrayList<>();
                for (Connection connection : connections) {
                    done.add(threads.submit(() -> runTransactions(connection, TRANSACTIONS_PER_ROUND / clients)));
                }
                for (Future<?> future : done) {
                    future.get(2, TimeUnit.MINUTES);
                }
                double perTransaction = (double) (allocatedOnLoops() - before) / TRANSACTIONS_PER_ROUND;
                rounds.add(String.format("%.1f", perTransaction));
                best = Math.min(best, perTransaction);
            }
            assertThat(best).as("bytes per %s transaction on the event loops, by round: %s", mode, rounds)
                    .isLessThanOrEqualTo(MAX_BYTES_PER_TRANSACTION);
        } finally {
            ResourceLeakDetector.setLevel(detection);
            threads.shutdownNow();
            for (Connection connection : connections) {
                connection.close();
            }
        }
    }

    private static Void runTransactions(Connection connection, int count) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT ?::int")) {
            for (int i = 0; i < count; i++) {
                select.setInt(1, i);
                try (ResultSet result = select.executeQuery()) {
                    assertThat(result.next()).isTrue();
                    assertThat(result.getInt(1)).isEqualTo(i);
                }
            }
        }
        return null;
    }

    private static long allocatedOnLoops() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled())
                .as("this JVM counts the bytes each thread allocates").isTrue();
        long total = 0;
        for (long bytes : threads.getThreadAllocatedBytes(loopThreads)) {
            assertThat(bytes).as("bytes allocated by a live event-loop thread").isNotNegative();
            total += bytes;
        }
        return total;
    }
}
