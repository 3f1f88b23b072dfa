package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many clients of several organizations connect, query and disconnect concurrently through small
 * pools, so backend connections are reused across clients all the time. Every query checks it is
 * in the client's own organization's database; a single mismatch fails the test.
 */
class IsolationStressTest {

    private static final String[] ORGS = {"a", "b", "c", "d"};
    private static final int CLIENTS = 24;
    private static final int SESSIONS_PER_CLIENT = 25;

    @Test
    void noClientEverSeesAnotherOrganizationsData() throws Exception {
        runStress(ProxyFixture.pool(3, 10, java.time.Duration.ofSeconds(30)));
    }

    @Test
    void noClientEverSeesAnotherOrganizationsDataInTransactionMode() throws Exception {
        runStress(ProxyFixture.transactionPool(3));
    }

    /**
     * Messages of a backend on another loop than its client's reach the client in tasks, which may
     * still be queued when the client already holds the next connection; a client's holds alternate
     * between connections on its own loop and on others.
     */
    @Test
    void noClientEverSeesAnotherOrganizationsDataInTransactionModeAcrossEventLoops() throws Exception {
        runStress(ProxyFixture.start(ProxyFixture.transactionPool(3), 3, ORGS));
    }

    private static void runStress(dev.pgtenant.config.PoolSettings settings) throws Exception {
        runStress(ProxyFixture.start(settings, ORGS));
    }

    private static void runStress(ProxyFixture started) throws Exception {
        try (ProxyFixture proxy = started) {
            AtomicInteger queries = new AtomicInteger();
            AtomicInteger mismatches = new AtomicInteger();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    done.add(clients.submit(() -> {
                        for (int s = 0; s < SESSIONS_PER_CLIENT; s++) {
                            String org = ORGS[ThreadLocalRandom.current().nextInt(ORGS.length)];
                            runSession(proxy, org, queries, mismatches);
                        }
                        return null;
                    }));
                }
                for (Future<?> future : done) {
                    future.get(5, TimeUnit.MINUTES);
                }
            } finally {
                clients.shutdownNow();
            }
            assertThat(mismatches.get()).isZero();
            assertThat(queries.get()).isGreaterThanOrEqualTo(CLIENTS * SESSIONS_PER_CLIENT);
        }
    }

    private static void runSession(ProxyFixture proxy, String org, AtomicInteger queries, AtomicInteger mismatches)
            throws SQLException {
        String expected = proxy.orgId(org);
        Connection connection = proxy.connect(org);
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT org, current_database(), current_user FROM canary")) {
            int rounds = 1 + ThreadLocalRandom.current().nextInt(4);
            for (int i = 0; i < rounds; i++) {
                try (ResultSet rows = statement.executeQuery()) {
                    rows.next();
                    queries.incrementAndGet();
                    if (!expected.equals(rows.getString(1)) || !("orgdata_" + expected).equals(rows.getString(2))
                            || !("orgdata_" + expected).equals(rows.getString(3))) {
                        mismatches.incrementAndGet();
                    }
                }
            }
            if (ThreadLocalRandom.current().nextInt(4) == 0) {
                connection.setAutoCommit(false);
                statement.executeQuery().close();
                queries.incrementAndGet();
            }
        } finally {
            if (ThreadLocalRandom.current().nextBoolean()) {
                connection.close();
            } else {
                abort(connection);
            }
        }
    }

    /** Drops the socket without a Terminate message, as a crashed client would. */
    private static void abort(Connection connection) throws SQLException {
        connection.abort(Runnable::run);
    }
}
