package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.testkit.Await;
import dev.pgtenant.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 100 cancels in transaction mode while other clients keep running short queries on the same
 * small pool: every cancel stops its own client's query, and no other client's query is ever hit.
 */
class TransactionCancelTest {

    private static final int ROUNDS = 10;
    private static final int VICTIMS = 10;
    private static final int BYSTANDERS = 5;

    @Test
    void cancelsKillOnlyTheIntendedQueries() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.transactionPool(VICTIMS + 2), "a")) {
            ExecutorService threads = Executors.newFixedThreadPool(VICTIMS + BYSTANDERS);
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger bystanderQueries = new AtomicInteger();
            AtomicInteger bystanderErrors = new AtomicInteger();
            try {
                List<CompletableFuture<Void>> bystanders = new ArrayList<>();
                for (int b = 0; b < BYSTANDERS; b++) {
                    bystanders.add(CompletableFuture.runAsync(() -> {
                        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
                            while (!done.get()) {
                                statement.execute("SELECT pg_sleep(0.01)");
                                bystanderQueries.incrementAndGet();
                            }
                        } catch (SQLException e) {
                            bystanderErrors.incrementAndGet();
                        }
                    }, threads));
                }
                int cancelled = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    cancelled += cancelRound(proxy, threads);
                }
                done.set(true);
                for (CompletableFuture<Void> bystander : bystanders) {
                    bystander.get(1, TimeUnit.MINUTES);
                }
                assertThat(cancelled).isEqualTo(ROUNDS * VICTIMS);
                assertThat(bystanderErrors.get()).isZero();
                assertThat(bystanderQueries.get()).isPositive();
            } finally {
                done.set(true);
                threads.shutdownNow();
            }
        }
    }

    private static int cancelRound(ProxyFixture proxy, ExecutorService threads) throws Exception {
        List<Connection> connections = new ArrayList<>();
        List<Statement> statements = new ArrayList<>();
        List<CompletableFuture<String>> outcomes = new ArrayList<>();
        try {
            for (int v = 0; v < VICTIMS; v++) {
                Connection connection = proxy.connect("a");
                Statement statement = connection.createStatement();
                connections.add(connection);
                statements.add(statement);
                outcomes.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        statement.execute("SELECT pg_sleep(30) /* victim */");
                        return "finished";
                    } catch (SQLException e) {
                        return e.getSQLState();
                    }
                }, threads));
            }
            Await.until(() -> victimsRunning(proxy) == VICTIMS, Duration.ofSeconds(20), () -> "victims did not all start");
            for (Statement statement : statements) {
                statement.cancel();
            }
            int cancelled = 0;
            for (CompletableFuture<String> outcome : outcomes) {
                if ("57014".equals(outcome.get(30, TimeUnit.SECONDS))) {
                    cancelled++;
                }
            }
            return cancelled;
        } finally {
            for (Connection connection : connections) {
                connection.close();
            }
        }
    }

    private static int victimsRunning(ProxyFixture proxy) {
        try (Connection superuser = TestPostgres.get().connect(); Statement statement = superuser.createStatement()) {
            return Integer.parseInt(SessionResetTest.single(statement, "SELECT count(*) FROM pg_stat_activity WHERE datname = '"
                    + proxy.database("a") + "' AND state = 'active' AND query LIKE '%/* victim */%'"));
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
