package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.proxy.admin.AdminConsole;
import dev.pgtenant.testkit.Await;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Admin users reach the console at database "pgtenant"; others are refused like any other database. */
class AdminConsoleTest {

    @Test
    void adminsSeePoolsAndCountersOthersAreRefused() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.transactionPool(3), "a")) {
            String admin = "admin_" + proxy.orgId("a");
            proxy.update(r -> r.withUser(new User(admin, ScramVerifier.fromPassword(ProxyFixture.PASSWORD), proxy.orgId("a"),
                    Set.of(), Set.of(), true)));
            try (Connection tenant = proxy.connect("a"); Statement statement = tenant.createStatement()) {
                SessionResetTest.single(statement, "SELECT 1");
            }
            try (Connection console = console(proxy, admin); Statement statement = console.createStatement()) {
                Map<String, String> pools = new HashMap<>();
                try (ResultSet rows = statement.executeQuery("SHOW POOLS")) {
                    while (rows.next()) {
                        pools.put(rows.getString("database"), rows.getString("idle"));
                    }
                }
                assertThat(pools).containsKey(proxy.database("a"));
                Map<String, Long> stats = new HashMap<>();
                try (ResultSet rows = statement.executeQuery("show stats;")) {
                    while (rows.next()) {
                        stats.put(rows.getString(1), rows.getLong(2));
                    }
                }
                assertThat(stats).containsKeys("statements_prepared_on_backends", "statement_cache_hits",
                        "statement_evictions", "sessions_pinned");
                assertThatThrownBy(() -> statement.executeQuery("DROP DATABASE x"))
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42601"));
                try (ResultSet rows = statement.executeQuery("SHOW HELP")) {
                    assertThat(rows.next()).isTrue();
                }
            }
            assertThatThrownBy(() -> console(proxy, proxy.user("a")).close())
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
        }
    }

    /**
     * Each command's answer is made whole: an admin client that pipelines commands and reads none of
     * the answers is disconnected past 16 MB of them, and a command is read only when it is short.
     */
    @Test
    void anAdminWhoReadsNoAnswersIsDisconnectedAndLongCommandsAreRefused() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.transactionPool(1), "a"); SessionLog sessions = new SessionLog()) {
            String admin = "admin_" + proxy.orgId("a");
            proxy.update(r -> r.withUser(new User(admin, ScramVerifier.fromPassword(ProxyFixture.PASSWORD), proxy.orgId("a"),
                    Set.of(), Set.of(), true)));
            try (ScramClient console = ScramClient.login(new RawClient(proxy.port(), 16 * 1024), admin, ProxyFixture.PASSWORD,
                    AdminConsole.DATABASE)) {
                console.awaitReady();
                console.raw().send(new Query("SHOW " + "x".repeat(2000)));
                assertThatThrownBy(console::awaitReady).hasMessageContaining("admin commands are at most 1024 bytes long");
                console.awaitReady();

                byte[] show = RawClient.encode(new Query("SHOW HELP")::encode);
                byte[] batch = new byte[show.length * 4096];
                for (int i = 0; i < 4096; i++) {
                    System.arraycopy(show, 0, batch, i * show.length, show.length);
                }
                // About 20 bytes of answer per byte sent: 16 MB of answers is under 1 MB of commands.
                // The proxy closes the connection about 5 s after the bound, when its error goes unread.
                Duration limit = Duration.ofSeconds(90);
                RawClient.Sending sending = console.raw().sendRepeatedly(batch, 8L * 1024 * 1024, limit);
                assertThat(sending).as("the writes had not ended after %d s: the proxy stopped reading, or closed unseen; it logged %s",
                        limit.toSeconds(), sessions.lines()).isNotEqualTo(RawClient.Sending.TIMED_OUT);
                Await.until(() -> sessions.has(admin, "MB of answers unread"), Duration.ofSeconds(30),
                        () -> "the admin client that reads nothing was not disconnected: " + sessions.lines());
            }
        }
    }

    private static Connection console(ProxyFixture proxy, String user) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("preferQueryMode", "simple");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/pgtenant", properties);
    }
}
