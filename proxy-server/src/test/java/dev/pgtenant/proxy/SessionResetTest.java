package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import dev.pgtenant.testkit.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What one client leaves behind in its backend session is gone for the next client of the pool. */
class SessionResetTest {

    @Test
    void setTempTablePreparedStatementAndAdvisoryLockDoNotSurvive() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofSeconds(10)), "a")) {
            int firstPid;
            try (Connection first = proxy.connect("a"); Statement statement = first.createStatement()) {
                firstPid = pid(statement);
                statement.execute("SET work_mem = '7MB'");
                statement.execute("SET search_path = pg_catalog");
                statement.execute("CREATE TEMP TABLE left_behind (x int)");
                statement.execute("PREPARE left_behind_plan AS SELECT 1");
                statement.execute("SELECT pg_advisory_lock(4242)");
                statement.execute("LISTEN left_behind_channel");
                assertThat(single(statement, "SHOW work_mem")).isEqualTo("7MB");
            }
            awaitIdle(proxy);
            try (Connection second = proxy.connect("a"); Statement statement = second.createStatement()) {
                assertThat(pid(statement)).as("the same backend connection is reused").isEqualTo(firstPid);
                assertThat(single(statement, "SHOW work_mem")).isNotEqualTo("7MB");
                assertThat(single(statement, "SHOW search_path")).isEqualTo("\"$user\", public");
                assertThat(single(statement, "SELECT count(*) FROM pg_class WHERE relname = 'left_behind'")).isEqualTo("0");
                assertThat(single(statement, "SELECT count(*) FROM pg_prepared_statements")).isEqualTo("0");
                assertThat(single(statement, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"))
                        .isEqualTo("0");
                assertThat(single(statement, "SELECT count(*) FROM pg_listening_channels()")).isEqualTo("0");
            }
        }
    }

    @Test
    void aClientThatLeavesInsideATransactionDoesNotReturnItsConnection() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofSeconds(10)), "a")) {
            int firstPid;
            try (Connection first = proxy.connect("a"); Statement statement = first.createStatement()) {
                firstPid = pid(statement);
                first.setAutoCommit(false);
                statement.execute("INSERT INTO canary VALUES ('uncommitted')");
                first.abort(Runnable::run);
            }
            try (Connection second = proxy.connect("a"); Statement statement = second.createStatement()) {
                assertThat(pid(statement)).isNotEqualTo(firstPid);
                assertThat(single(statement, "SELECT count(*) FROM canary WHERE org = 'uncommitted'")).isEqualTo("0");
            }
        }
    }

    static void awaitIdle(ProxyFixture proxy) {
        Await.until(() -> proxy.stats("a").idle() == 1, Duration.ofSeconds(10),
                () -> "the connection did not return to the pool: " + proxy.stats("a"));
    }

    static int pid(Statement statement) throws SQLException {
        return Integer.parseInt(single(statement, "SELECT pg_backend_pid()"));
    }

    static String single(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    @Test
    void aClientThatLeavesInTheMiddleOfCopyDoesNotReturnItsConnection() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofSeconds(10)), "a")) {
            int firstPid;
            Connection first = proxy.connect("a");
            try (Statement statement = first.createStatement()) {
                firstPid = pid(statement);
            }
            org.postgresql.copy.CopyIn copy = first.unwrap(org.postgresql.PGConnection.class).getCopyAPI()
                    .copyIn("COPY canary FROM STDIN");
            byte[] rows = "half\nway\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            copy.writeToCopy(rows, 0, rows.length);
            copy.flushCopy();
            first.abort(Runnable::run);
            try (Connection second = proxy.connect("a"); Statement statement = second.createStatement()) {
                assertThat(pid(statement)).isNotEqualTo(firstPid);
                assertThat(single(statement, "SELECT count(*) FROM canary")).isEqualTo("1");
            }
        }
    }
}
