package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** psql and pgbench, the machine's own PostgreSQL clients, through the proxy. */
class ClientToolsTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start(ProxyFixture.pool(20, 40, Duration.ofSeconds(30)), "a", "b");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    record Run(int exitCode, String output) {
    }

    private static Run run(String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("PGPASSWORD", ProxyFixture.PASSWORD);
        builder.environment().put("PGCONNECT_TIMEOUT", "10");
        Process process = builder.start();
        try {
            if (!process.waitFor(3, TimeUnit.MINUTES)) {
                throw new AssertionError(String.join(" ", command) + " did not finish within 3 minutes");
            }
            return new Run(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }

    private static String url(String user, String database) {
        return url(proxy, user, database);
    }

    private static String url(ProxyFixture target, String user, String database) {
        return "postgresql://" + user + "@127.0.0.1:" + target.port() + "/" + database + "?sslmode=prefer";
    }

    @Test
    void psqlSeesOnlyItsOwnOrganization() throws Exception {
        for (String org : new String[] {"a", "b"}) {
            Run run = run("psql", url(proxy.user(org), "app"), "-At", "-c", "SELECT org FROM canary");
            assertThat(run.exitCode()).as(run.output()).isZero();
            assertThat(run.output().trim()).isEqualTo(proxy.orgId(org));
        }
        Run refused = run("psql", url(proxy.user("a"), proxy.database("b")), "-At", "-c", "SELECT org FROM canary");
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.output()).contains("permission denied for database");
    }

    @Test
    void pgbenchWithSixteenClientsInSessionMode() throws Exception {
        Run init = run("pgbench", "-i", "-s", "1", "-q", url(proxy.user("a"), "app"));
        assertThat(init.exitCode()).as(init.output()).isZero();
        for (String mode : new String[] {"simple", "extended", "prepared"}) {
            List<String> command = new ArrayList<>(List.of("pgbench", "-c", "16", "-j", "2", "-t", "25", "-M", mode,
                    url(proxy.user("a"), "app")));
            Run bench = run(command.toArray(String[]::new));
            assertThat(bench.exitCode()).as(bench.output()).isZero();
            assertThat(bench.output()).contains("number of transactions actually processed: 400/400");
            assertThat(bench.output()).contains("number of failed transactions: 0");
        }
    }

    @Test
    void pgbenchWithSixtyFourClientsOverEightBackendsInTransactionMode() throws Exception {
        try (ProxyFixture transactional = ProxyFixture.start(ProxyFixture.transactionPool(8), "t")) {
            String url = url(transactional, transactional.user("t"), "app");
            Run init = run("pgbench", "-i", "-s", "1", "-q", url);
            assertThat(init.exitCode()).as(init.output()).isZero();
            for (String mode : new String[] {"prepared", "extended", "simple"}) {
                Run bench = run("pgbench", "-c", "64", "-j", "2", "-t", "20", "-M", mode, url);
                assertThat(bench.exitCode()).as(bench.output()).isZero();
                assertThat(bench.output()).contains("number of transactions actually processed: 1280/1280");
                assertThat(bench.output()).contains("number of failed transactions: 0");
            }
            assertThat(transactional.stats("t").active() + transactional.stats("t").idle()).isLessThanOrEqualTo(8);
            assertThat(transactional.server().statementCounters().cacheHits()).isPositive();
        }
    }
}
