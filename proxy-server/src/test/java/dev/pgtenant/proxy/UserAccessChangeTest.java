package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ClientLogin;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.testkit.Await;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A session is routed once, at login: when a registry change means its user's login would now be
 * refused or go elsewhere, the session ends with 57P01; sessions the change leaves where they are stay.
 */
class UserAccessChangeTest {

    private static final Duration WITHIN = Duration.ofSeconds(10);

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start("a", "b");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    /**
     * A user removed and made again in another organization under the same name while a client was
     * logging in: the old password, which the client proves, no longer lets anyone in.
     */
    @Test
    void aUserMadeAgainElsewhereDuringALoginIsNotLetInWithTheOldPassword() throws Exception {
        String name = "reused_" + proxy.orgId("a");
        proxy.addUser(name, "a", Set.of(), Set.of());
        try (RawClient raw = new RawClient(proxy.port())) {
            raw.startup(name);
            ClientLogin login = ClientLogin.withPassword(name, ProxyFixture.PASSWORD);
            raw.send(login.respond((Authentication) raw.receive()).orElseThrow());
            Authentication serverFirst = (Authentication) raw.receive();

            change(r -> r.withoutUser(name).withUser(new User(name, ScramVerifier.fromPassword("someone else's"),
                    proxy.orgId("b"), Set.of(), Set.of(), false)));

            raw.send(login.respond(serverFirst).orElseThrow());
            assertThat(raw.fatal().sqlState()).isEqualTo("28P01");
        }
    }

    @Test
    void aUserMovedToAnotherOrganizationLosesItsSessionAnotherUserOfTheOrganizationKeepsTheirs() throws SQLException {
        String mover = "mover_" + proxy.orgId("a");
        proxy.addUser(mover, "a", Set.of(), Set.of());
        try (Connection moving = proxy.connect(mover, ProxyFixture.PASSWORD, "app"); Connection staying = proxy.connect("a")) {
            assertThat(RoutingIntegrationTest.canary(moving)).isEqualTo(proxy.orgId("a"));
            assertThat(RoutingIntegrationTest.canary(staying)).isEqualTo(proxy.orgId("a"));

            change(r -> r.withUser(withHome(r.user(mover).orElseThrow(), proxy.orgId("b"))));

            assertThat(awaitEnded(moving, "SELECT 1").getMessage()).contains("user " + mover + "'s access to organization "
                    + proxy.orgId("a") + " changed in the registry; reconnect");
            assertThat(RoutingIntegrationTest.canary(staying)).isEqualTo(proxy.orgId("a"));
        }
        try (Connection again = proxy.connect(mover, ProxyFixture.PASSWORD, "app")) {
            assertThat(RoutingIntegrationTest.canary(again)).isEqualTo(proxy.orgId("b"));
        }
    }

    @Test
    void aRevokedGrantEndsTheSessionItOpenedButNotTheUsersSessionAtHome() throws SQLException {
        String guest = "guest_" + proxy.orgId("a");
        proxy.addUser(guest, "a", Set.of(proxy.orgId("b")), Set.of());
        try (Connection visiting = proxy.connect(guest, ProxyFixture.PASSWORD, proxy.database("b"));
             Connection home = proxy.connect(guest, ProxyFixture.PASSWORD, "app")) {
            assertThat(RoutingIntegrationTest.canary(visiting)).isEqualTo(proxy.orgId("b"));
            assertThat(RoutingIntegrationTest.canary(home)).isEqualTo(proxy.orgId("a"));

            change(r -> r.withUser(r.user(guest).orElseThrow().withGrants(Set.of(), Set.of())));

            assertThat(awaitEnded(visiting, "SELECT 1").getMessage())
                    .contains("user " + guest + "'s access to organization " + proxy.orgId("b") + " changed in the registry");
            assertThat(RoutingIntegrationTest.canary(home)).isEqualTo(proxy.orgId("a"));
        }
    }

    /** A shared database's connections are pooled per home organization: a user whose home changes is in the wrong pool. */
    @Test
    void aSharedDatabaseSessionEndsWhenItsUsersHomeOrganizationChanges() throws SQLException {
        String shared = "main_" + proxy.orgId("a");
        proxy.addSharedDatabase(shared, "postgres", proxy.createBackendRole("postgres"));
        String user = "sharer_" + proxy.orgId("a");
        proxy.addUser(user, "a", Set.of(), Set.of(shared));
        try (Connection session = proxy.connect(user, ProxyFixture.PASSWORD, shared)) {
            try (Statement statement = session.createStatement()) {
                statement.execute("SELECT 1");
            }

            change(r -> r.withUser(withHome(r.user(user).orElseThrow(), proxy.orgId("b"))));

            assertThat(awaitEnded(session, "SELECT 1").getMessage())
                    .contains("user " + user + "'s access to shared database " + shared + " changed in the registry");
        }
        try (Connection again = proxy.connect(user, ProxyFixture.PASSWORD, shared); Statement statement = again.createStatement()) {
            statement.execute("SELECT 1");
        }
    }

    @Test
    void aRemovedUsersSessionEnds() throws SQLException {
        String leaver = "leaver_" + proxy.orgId("b");
        proxy.addUser(leaver, "b", Set.of(), Set.of());
        try (Connection leaving = proxy.connect(leaver, ProxyFixture.PASSWORD, "app")) {
            assertThat(RoutingIntegrationTest.canary(leaving)).isEqualTo(proxy.orgId("b"));

            change(r -> r.withoutUser(leaver));

            assertThat(awaitEnded(leaving, "SELECT 1").getMessage()).contains("user " + leaver + "'s access to organization");
        }
    }

    @Test
    void anAdminConsoleSessionEndsWhenTheAdminFlagIsTakenAway() throws SQLException {
        String admin = "admin_" + proxy.orgId("a");
        User granted = new User(admin, ScramVerifier.fromPassword(ProxyFixture.PASSWORD), proxy.orgId("a"),
                Set.of(), Set.of(), true);
        proxy.update(r -> r.withUser(granted));
        try (Connection console = console(admin); Connection tenant = proxy.connect(admin, ProxyFixture.PASSWORD, "app")) {
            try (Statement statement = console.createStatement()) {
                statement.execute("SHOW HELP");
            }

            change(r -> r.withUser(new User(admin, granted.verifier(), granted.org(), Set.of(), Set.of(), false)));

            assertThat(awaitEnded(console, "SHOW HELP").getMessage())
                    .contains("user " + admin + "'s access to the admin console changed in the registry");
            assertThat(RoutingIntegrationTest.canary(tenant)).isEqualTo(proxy.orgId("a"));
        }
    }

    /** Changes the registry as a reload does, telling the proxy the previous and the new snapshot. */
    private static void change(UnaryOperator<Registry> change) {
        Registry before = proxy.registry();
        proxy.update(change);
        proxy.server().registryChanged(before, proxy.registry());
    }

    private static User withHome(User user, String org) {
        return new User(user.name(), user.verifier(), org, user.orgs(), user.databases(), user.admin(), user.poolMode());
    }

    /** Runs {@code sql} until the session fails with 57P01, and returns that failure. */
    private static SQLException awaitEnded(Connection session, String sql) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Await.until(() -> {
            failure.set(catchThrowable(() -> {
                try (Statement statement = session.createStatement()) {
                    statement.execute(sql);
                }
            }));
            return failure.get() instanceof SQLException e && "57P01".equals(e.getSQLState());
        }, WITHIN, () -> "the session did not end with 57P01; the last attempt gave " + failure.get());
        return (SQLException) failure.get();
    }

    private static Connection console(String user) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("preferQueryMode", "simple");
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/pgtenant", properties);
    }
}
