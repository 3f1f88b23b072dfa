package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.SharedDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A shared database is reached by users of many organizations with one backend role. In transaction
 * mode a client can leave session state on a backend connection that the proxy does not see; the
 * next client of that connection must be of the same organization.
 */
class SharedDatabaseIsolationTest {

    private static ProxyFixture proxy;
    private static String shared;
    private static String role;

    @BeforeAll
    static void start() throws SQLException {
        // One connection per pool: a pool shared by both organizations would hand the second client the first one's.
        proxy = ProxyFixture.start(ProxyFixture.transactionPool(1), "a", "b");
        shared = "main_" + proxy.orgId("a");
        role = proxy.createBackendRole("postgres");
        proxy.addSharedDatabase(shared, "postgres", role);
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    /**
     * A temporary table created inside a DO block is session state the proxy's scan of statements
     * cannot see, so the session is not pinned and its connection goes back to the pool with the
     * table on it. The same organization's next client may find it; another organization's never does.
     */
    @Test
    void stateLeftOnASharedDatabaseConnectionStaysWithItsOrganization() throws SQLException {
        String userOfA = "shared_a_" + proxy.orgId("a");
        String userOfB = "shared_b_" + proxy.orgId("b");
        String otherUserOfA = "shared_a2_" + proxy.orgId("a");
        proxy.addUser(userOfA, "a", Set.of(), Set.of(shared));
        proxy.addUser(userOfB, "b", Set.of(), Set.of(shared));
        proxy.addUser(otherUserOfA, "a", Set.of(), Set.of(shared));
        try (Connection leaving = proxy.connect(userOfA, ProxyFixture.PASSWORD, shared)) {
            try (Statement statement = leaving.createStatement()) {
                statement.execute("DO $$BEGIN CREATE TEMP TABLE left_behind (v text); "
                        + "INSERT INTO left_behind VALUES ('organization a'); END$$");
            }
            String backendOfA = single(leaving, "SELECT pg_backend_pid()");
            try (Connection other = proxy.connect(userOfB, ProxyFixture.PASSWORD, shared)) {
                assertThat(single(other, "SELECT count(*) FROM pg_class WHERE relname = 'left_behind'"
                        + " AND relnamespace = pg_my_temp_schema()")).isEqualTo("0");
                assertThat(single(other, "SELECT pg_backend_pid()")).isNotEqualTo(backendOfA);
            }
            try (Connection sameOrganization = proxy.connect(otherUserOfA, ProxyFixture.PASSWORD, shared)) {
                assertThat(single(sameOrganization, "SELECT pg_backend_pid()")).isEqualTo(backendOfA);
            }
        }
    }

    /**
     * A shared database that cannot be routed (no backend given, and no embedded one running here),
     * listed before another, does not keep the other's clients out.
     */
    @Test
    void aSharedDatabaseThatCannotBeRoutedDoesNotKeepOthersOut() throws SQLException {
        // Listed first, by name; the other is new, so its pool is made, and checked, at this login.
        proxy.update(registry -> registry.withSharedDatabase(new SharedDatabase("aaa_" + proxy.orgId("a"),
                new BackendLogin(null, "postgres", "nobody", null))));
        String other = "zzz_" + proxy.orgId("a");
        String user = newSharedDatabaseAndItsUser(other, "shared_z_");
        try (Connection connection = proxy.connect(user, ProxyFixture.PASSWORD, other)) {
            assertThat(single(connection, "SELECT current_database()")).isEqualTo("template1");
        }
    }

    /** As an organization's: a shared database pointed at another backend ends its sessions, whose pool is retired. */
    @Test
    void aSharedDatabaseThatMovesEndsItsSessions() throws SQLException {
        String moving = "mov_" + proxy.orgId("a");
        String user = newSharedDatabaseAndItsUser(moving, "shared_m_");
        try (Connection connection = proxy.connect(user, ProxyFixture.PASSWORD, moving)) {
            assertThat(single(connection, "SELECT current_database()")).isEqualTo("template1");
            dev.pgtenant.config.registry.Registry before = proxy.registry();
            proxy.addSharedDatabase(moving, "postgres", role);
            proxy.server().registryChanged(before, proxy.registry());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
                for (int attempt = 0; attempt < 1000; attempt++) {
                    single(connection, "SELECT 1");
                }
            }).isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getMessage())
                    .contains("shared database " + moving + " moved to another backend"));
        }
    }

    /** A shared database {@code name} on template1, and a user of organization a granted it; returns the user. */
    private static String newSharedDatabaseAndItsUser(String name, String userPrefix) {
        proxy.addSharedDatabase(name, "template1", role);
        String user = userPrefix + proxy.orgId("a");
        proxy.addUser(user, "a", Set.of(), Set.of(name));
        return user;
    }

    private static String single(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            assertThat(rows.next()).isTrue();
            return rows.getString(1);
        }
    }
}
