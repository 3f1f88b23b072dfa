package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.PoolSettings;
import dev.pgtenant.testkit.Await;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The once-a-second maintenance: minIdle, idleTimeout and maxLifetime. */
class PoolMaintenanceTest {

    private static PoolSettings settings(int minIdle, Duration idleTimeout, Duration maxLifetime) {
        return new PoolSettings("session", 5, minIdle, idleTimeout, maxLifetime, Duration.ofSeconds(10), 20,
                Duration.ofSeconds(5), "DISCARD ALL", null, null, null);
    }

    @Test
    void poolsAreFilledToMinIdle() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(settings(3, Duration.ofMinutes(10), Duration.ofHours(1)), "a")) {
            try (Connection first = proxy.connect("a")) {
                assertThat(first.isValid(5)).isTrue();
            }
            Await.until(() -> proxy.stats("a").idle() == 3, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
        }
    }

    @Test
    void idleConnectionsCloseAfterTheIdleTimeout() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(settings(0, Duration.ofMillis(500), Duration.ofHours(1)), "a")) {
            try (Connection first = proxy.connect("a"); Connection second = proxy.connect("a")) {
                assertThat(first.isValid(5) && second.isValid(5)).isTrue();
            }
            Await.until(() -> proxy.stats("a").idle() == 2, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
            Await.until(() -> proxy.stats("a").idle() == 0
                            && proxy.server().pools().serverConnections(proxy.backend()) == 0,
                    Duration.ofSeconds(10), () -> "idle connections were not closed: " + proxy.stats("a"));
        }
    }

    @Test
    void aConnectionPastItsLifetimeIsClosedWhenReleased() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(settings(0, Duration.ofMinutes(10), Duration.ofMillis(300)), "a")) {
            String firstPid;
            try (Connection first = proxy.connect("a"); Statement statement = first.createStatement()) {
                firstPid = SessionResetTest.single(statement, "SELECT pg_backend_pid()");
                Await.until(() -> lifetimeOver(statement), Duration.ofSeconds(5), () -> "lifetime did not pass");
            }
            try (Connection second = proxy.connect("a"); Statement statement = second.createStatement()) {
                assertThat(SessionResetTest.single(statement, "SELECT pg_backend_pid()")).isNotEqualTo(firstPid);
            }
        }
    }

    /** True once the backend session is older than the configured lifetime (asked of the server itself). */
    private static boolean lifetimeOver(Statement statement) {
        try {
            return SessionResetTest.single(statement, "SELECT clock_timestamp() - backend_start > interval '400 milliseconds' "
                    + "FROM pg_stat_activity WHERE pid = pg_backend_pid()").equals("t");
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }
}
