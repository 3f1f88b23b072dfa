package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.copy.CopyManager;

/** What a client can do directly works through the proxy in session mode. */
class RelayFeaturesTest {

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
    void extendedQueriesWithServerSidePreparedStatements() throws SQLException {
        try (Connection connection = proxy.connect("a");
             PreparedStatement statement = connection.prepareStatement("SELECT ?::int * 2, ?::text")) {
            statement.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1);
            for (int i = 0; i < 20; i++) {
                statement.setInt(1, i);
                statement.setString(2, "v" + i);
                try (ResultSet rows = statement.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getInt(1)).isEqualTo(i * 2);
                    assertThat(rows.getString(2)).isEqualTo("v" + i);
                }
            }
        }
    }

    @Test
    void copyInAndOut() throws Exception {
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TEMP TABLE copied (id int, name text)");
            CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < 5000; i++) {
                input.append(i).append('\t').append("name ").append(i).append('\n');
            }
            assertThat(copy.copyIn("COPY copied FROM STDIN", new StringReader(input.toString()))).isEqualTo(5000);
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            assertThat(copy.copyOut("COPY (SELECT * FROM copied ORDER BY id) TO STDOUT", output)).isEqualTo(5000);
            assertThat(output.toString(StandardCharsets.UTF_8)).isEqualTo(input.toString());
        }
    }

    @Test
    void failedCopyLeavesTheSessionUsable() throws Exception {
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TEMP TABLE strict_copy (id int)");
            CopyManager copy = connection.unwrap(PGConnection.class).getCopyAPI();
            assertThatThrownBy(() -> copy.copyIn("COPY strict_copy FROM STDIN", new StringReader("1\nnot a number\n")))
                    .isInstanceOf(SQLException.class).hasMessageContaining("invalid input syntax");
            assertThat(SessionResetTest.single(statement, "SELECT 42")).isEqualTo("42");
        }
    }

    @Test
    void listenAndNotify() throws SQLException {
        try (Connection listener = proxy.connect("a"); Connection notifier = proxy.connect("a");
             Statement listening = listener.createStatement(); Statement notifying = notifier.createStatement()) {
            listening.execute("LISTEN orders");
            notifying.execute("NOTIFY orders, 'order 7'");
            PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(received).isNotNull().hasSize(1);
            assertThat(received[0].getName()).isEqualTo("orders");
            assertThat(received[0].getParameter()).isEqualTo("order 7");
        }
    }

    @Test
    void largeResultArrivesWhole() throws SQLException {
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.setFetchSize(1000);
            long rows = 0;
            long bytes = 0;
            try (ResultSet result = statement.executeQuery(
                    "SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g")) {
                while (result.next()) {
                    rows++;
                    bytes += result.getString(2).length();
                    assertThat(result.getLong(1)).isEqualTo(rows);
                }
            }
            assertThat(rows).isEqualTo(200_000);
            assertThat(bytes).isEqualTo(200_000L * 200);
        }
    }

    @Test
    void errorsAndNoticesReachTheClientAndTheSessionGoesOn() throws SQLException {
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            assertThatThrownBy(() -> statement.execute("SELECT 1/0"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("22012"));
            statement.execute("DO $$ BEGIN RAISE NOTICE 'careful: %', 42; END $$");
            List<String> notices = new ArrayList<>();
            for (SQLWarning w = statement.getWarnings(); w != null; w = w.getNextWarning()) {
                notices.add(w.getMessage());
            }
            assertThat(notices).contains("careful: 42");
            assertThat(SessionResetTest.single(statement, "SELECT 'still here'")).isEqualTo("still here");
        }
    }

    @Test
    void transactionsCommitAndRollBack() throws SQLException {
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TEMP TABLE ledger (amount int)");
            connection.setAutoCommit(false);
            statement.execute("INSERT INTO ledger VALUES (1)");
            connection.commit();
            statement.execute("INSERT INTO ledger VALUES (2)");
            connection.rollback();
            assertThatThrownBy(() -> statement.execute("SELECT missing_column FROM ledger")).isInstanceOf(SQLException.class);
            connection.rollback();
            assertThat(SessionResetTest.single(statement, "SELECT sum(amount) FROM ledger")).isEqualTo("1");
        }
    }

    @Test
    void startupParametersReachTheBackendAndComeBackAsParameterStatus() throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("user", proxy.user("a"));
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("ApplicationName", "billing-job");
        properties.setProperty("options", "-c search_path=pg_catalog,public -c statement_timeout=12345");
        try (Connection connection = java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", properties);
             Statement statement = connection.createStatement()) {
            assertThat(SessionResetTest.single(statement, "SHOW application_name")).isEqualTo("billing-job");
            assertThat(SessionResetTest.single(statement, "SHOW search_path")).isEqualTo("pg_catalog,public");
            assertThat(SessionResetTest.single(statement, "SHOW statement_timeout")).isEqualTo("12345ms");
            assertThat(connection.unwrap(org.postgresql.core.BaseConnection.class).getParameterStatus("application_name"))
                    .isEqualTo("billing-job");
            assertThat(connection.getMetaData().getDatabaseProductVersion()).isNotBlank();
        }
    }

    @Test
    void invalidStartupParameterIsReportedClearly() {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("user", proxy.user("a"));
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("options", "-c no_such_setting=1");
        assertThatThrownBy(() -> java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", properties).close())
                .isInstanceOf(SQLException.class).hasMessageContaining("no_such_setting");
    }
}
