package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Two organizations with different canary rows behind one proxy: who lands where, and who is refused. */
class RoutingIntegrationTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start("a", "b");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    static String canary(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT org, current_database() FROM canary")) {
            assertThat(rows.next()).isTrue();
            String org = rows.getString(1);
            assertThat(rows.getString(2)).isEqualTo("orgdata_" + org);
            assertThat(rows.next()).isFalse();
            return org;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "", "USER", "OWN_DATABASE"})
    void eachUserLandsInItsOwnOrganization(String database) throws SQLException {
        for (String key : new String[] {"a", "b"}) {
            String asked = switch (database) {
                case "USER" -> proxy.user(key);
                case "OWN_DATABASE" -> proxy.database(key);
                default -> database;
            };
            try (Connection connection = proxy.connect(proxy.user(key), ProxyFixture.PASSWORD, asked)) {
                assertThat(canary(connection)).isEqualTo(proxy.orgId(key));
            }
        }
    }

    @Test
    void anotherOrganizationsDatabaseIsRefusedLikeOneThatDoesNotExist() {
        SQLException existing = refusal(proxy.user("a"), ProxyFixture.PASSWORD, proxy.database("b"));
        SQLException missing = refusal(proxy.user("a"), ProxyFixture.PASSWORD, "orgdata_999999999");
        assertThat(existing.getSQLState()).isEqualTo("42501");
        assertThat(missing.getSQLState()).isEqualTo("42501");
        assertThat(existing.getMessage().replace(proxy.database("b"), "X"))
                .isEqualTo(missing.getMessage().replace("orgdata_999999999", "X"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgres", "template1", "orgdata_", "ORGDATA_X", "pgtenant"})
    void guessedDatabaseNamesAreRefused(String database) {
        assertThat(refusal(proxy.user("a"), ProxyFixture.PASSWORD, database).getSQLState()).isEqualTo("42501");
    }

    @Test
    void wrongPasswordUnknownUserAndUserWithoutOrganizationFailAlike() {
        proxy.addUser("orphan_" + proxy.orgId("x"), null, Set.of(), Set.of());
        SQLException wrong = refusal(proxy.user("a"), "not-the-password", "app");
        SQLException unknown = refusal("nobody_" + proxy.orgId("x"), ProxyFixture.PASSWORD, "app");
        SQLException orphan = refusal("orphan_" + proxy.orgId("x"), ProxyFixture.PASSWORD, "app");
        for (SQLException e : new SQLException[] {wrong, unknown, orphan}) {
            assertThat(e.getSQLState()).isEqualTo("28P01");
            assertThat(e.getMessage()).contains("password authentication failed for user");
        }
    }

    @Test
    void grantedOrganizationIsReachableByItsDatabaseName() throws SQLException {
        String name = "multi_" + proxy.orgId("x");
        proxy.addUser(name, "a", Set.of(proxy.orgId("b")), Set.of());
        try (Connection home = proxy.connect(name, ProxyFixture.PASSWORD, "app");
             Connection granted = proxy.connect(name, ProxyFixture.PASSWORD, proxy.database("b"))) {
            assertThat(canary(home)).isEqualTo(proxy.orgId("a"));
            assertThat(canary(granted)).isEqualTo(proxy.orgId("b"));
        }
    }

    @Test
    void sharedDatabaseOnlyForUsersGrantedIt() throws SQLException {
        String shared = "main_" + proxy.orgId("x");
        String role = proxy.createBackendRole("postgres");
        proxy.addSharedDatabase(shared, "postgres", role);
        String granted = "shared_" + proxy.orgId("x");
        proxy.addUser(granted, "a", Set.of(), Set.of(shared));
        try (Connection connection = proxy.connect(granted, ProxyFixture.PASSWORD, shared);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_database(), current_user")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("postgres");
            assertThat(rows.getString(2)).isEqualTo(role);
        }
        assertThat(refusal(proxy.user("a"), ProxyFixture.PASSWORD, shared).getSQLState()).isEqualTo("42501");
    }

    private static SQLException refusal(String user, String password, String database) {
        return (SQLException) org.assertj.core.api.Assertions.catchThrowable(() -> {
            try (Connection ignored = proxy.connect(user, password, database)) {
                throw new AssertionError(user + " reached " + database);
            }
        });
    }
}
