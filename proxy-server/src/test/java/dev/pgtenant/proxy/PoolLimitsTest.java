package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.auth.ClientLogin;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.proxy.pool.BackendPool;
import dev.pgtenant.testkit.Await;
import io.netty.util.concurrent.DefaultEventExecutor;
import io.netty.util.concurrent.EventExecutor;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Per-organization limits, the waiting queue and its timeout, and the shared per-server budget. */
class PoolLimitsTest {

    @Test
    void aFullPoolMakesTheNextClientWaitThenFailWith53300() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofMillis(500)), "a");
             Connection holder = proxy.connect("a")) {
            assertThat(holder.isValid(5)).isTrue();
            assertThatThrownBy(() -> proxy.connect("a").close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("53300");
                        assertThat(e.getMessage()).contains("no backend connection to " + proxy.database("a"))
                                .contains("(1 in use of at most 1)")
                                .as("the server's figures count other organizations' connections")
                                .doesNotContain("on the server");
                    });
        }
    }

    /**
     * One timer serves the whole queue: a client that started waiting later must get its own full
     * timeout, and must still be failed after the one before it was.
     */
    @Test
    void everyWaitingClientFailsAtItsOwnDeadline() throws Exception {
        Duration timeout = Duration.ofMillis(1200);
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, timeout), "a");
             Connection holder = proxy.connect("a")) {
            assertThat(holder.isValid(5)).isTrue();
            long firstStarted = System.nanoTime();
            CompletableFuture<Long> first = CompletableFuture.supplyAsync(() -> waitUntilRefused(proxy));
            Await.until(() -> proxy.stats("a").waiting() == 1
                            && System.nanoTime() - firstStarted > timeout.toNanos() / 2,
                    Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> waitUntilRefused(proxy));
            assertThat(first.get(20, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(timeout.toNanos());
            assertThat(second.get(20, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(timeout.toNanos());
            CompletableFuture<Long> afterTheQueueEmptied = CompletableFuture.supplyAsync(() -> waitUntilRefused(proxy));
            assertThat(afterTheQueueEmptied.get(20, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(timeout.toNanos());
            assertThat(proxy.stats("a").waiting()).isZero();
        }
    }

    /** A session that routed to a pool just before a registry change retired it gets an answer, not the timeout. */
    @Test
    void aRequestToARetiredPoolFailsAtOnce() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofSeconds(30)), "a");
             Connection first = proxy.connect("a")) {
            assertThat(first.isValid(5)).isTrue();
            BackendPool pool = proxy.server().pools().all().stream()
                    .filter(p -> p.target().database().equals(proxy.database("a"))).findFirst().orElseThrow();
            proxy.server().pools().retainOnly(target -> false);
            EventExecutor loop = new DefaultEventExecutor();
            try {
                CompletableFuture<SqlState> answer = new CompletableFuture<>();
                pool.acquire(loop, (connection, problem) -> {
                    if (connection != null) {
                        pool.discard(connection, "test");
                    }
                    answer.complete(problem == null ? null : problem.sqlState());
                });
                assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(SqlState.ADMIN_SHUTDOWN);
            } finally {
                loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    /**
     * A login that routed by the registry before a change asks for its pool after the change retired
     * it: the pool made then is retired at once, not kept for the life of the process. A pool the
     * registry as it is now routes to is kept, also before the change has reached the pools.
     */
    @Test
    void aPoolIsMadeOnlyForWhatTheRegistryRoutesNow() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofSeconds(30)), "a")) {
            try (Connection first = proxy.connect("a")) {
                assertThat(first.isValid(5)).isTrue();
            }
            BackendPool pool = proxy.server().pools().all().stream()
                    .filter(p -> p.target().database().equals(proxy.database("a"))).findFirst().orElseThrow();
            Registry before = proxy.registry();
            proxy.update(registry -> registry.withoutOrganization(proxy.orgId("a")));
            proxy.server().registryChanged(before, proxy.registry());
            BackendPool late = proxy.server().pools().pool(pool.target());
            assertThat(late).isNotSameAs(pool);
            assertThat(proxy.server().pools().all()).doesNotContain(late);

            // The organization comes back: logins route to it by the new snapshot before the change
            // that brings it back reaches the pools, and its pool must serve them, not be retired.
            proxy.update(registry -> before);
            try (Connection again = proxy.connect("a")) {
                assertThat(RoutingIntegrationTest.canary(again)).isEqualTo(proxy.orgId("a"));
            }
        }
    }

    /** How long a login waited before the proxy refused it with 53300. */
    private static long waitUntilRefused(ProxyFixture proxy) {
        long started = System.nanoTime();
        try {
            proxy.connect("a").close();
        } catch (SQLException e) {
            if (e.getSQLState().equals("53300")) {
                return System.nanoTime() - started;
            }
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("the login got a connection while the only one was held");
    }

    @Test
    void aWaitingClientGetsTheConnectionWhenItIsReleased() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofSeconds(20)), "a")) {
            Connection holder = proxy.connect("a");
            CompletableFuture<String> waiting = CompletableFuture.supplyAsync(() -> {
                try (Connection second = proxy.connect("a")) {
                    return RoutingIntegrationTest.canary(second);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            Await.until(() -> proxy.stats("a").waiting() == 1, Duration.ofSeconds(10), () -> "no waiter");
            holder.close();
            assertThat(waiting.get(20, TimeUnit.SECONDS)).isEqualTo(proxy.orgId("a"));
        }
    }

    /**
     * A client that authenticated and left while its session waited for a backend gives up its place
     * in the queue, and the login replies the proxy held back for it are freed (the fixture's close
     * checks for leaked buffers).
     */
    @Test
    void aClientThatLeavesWhileWaitingForABackendLeavesNothingBehind() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(1, 10, Duration.ofSeconds(30)), "a");
             Connection holder = proxy.connect("a")) {
            assertThat(holder.isValid(5)).isTrue();
            try (RawClient raw = new RawClient(proxy.port())) {
                raw.startup(proxy.user("a"));
                ClientLogin login = ClientLogin.withPassword(proxy.user("a"), ProxyFixture.PASSWORD);
                // The mechanisms, then the server's first message: the answer to it completes authentication.
                for (int step = 0; step < 2; step++) {
                    Optional<FrontendMessage> answer = login.respond((Authentication) raw.receive());
                    raw.send(answer.orElseThrow());
                }
                Await.until(() -> proxy.stats("a").waiting() == 1, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
            }
            Await.until(() -> proxy.stats("a").waiting() == 0, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
            assertThat(holder.isValid(5)).isTrue();
        }
    }

    @Test
    void idleConnectionsOfOneOrganizationMakeRoomForAnother() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(5, 2, Duration.ofSeconds(10)), "a", "b")) {
            try (Connection first = proxy.connect("a"); Connection second = proxy.connect("a")) {
                assertThat(first.isValid(5) && second.isValid(5)).isTrue();
            }
            Await.until(() -> proxy.stats("a").idle() == 2, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
            try (Connection other = proxy.connect("b")) {
                assertThat(RoutingIntegrationTest.canary(other)).isEqualTo(proxy.orgId("b"));
                assertThat(proxy.stats("a").idle()).isEqualTo(1);
                assertThat(proxy.server().pools().serverConnections(proxy.backend())).isLessThanOrEqualTo(2);
            }
        }
    }

    @Test
    void aNoisyOrganizationCannotStarveAnother() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(5, 2, Duration.ofSeconds(20)), "a", "b")) {
            Connection a1 = proxy.connect("a");
            Connection a2 = proxy.connect("a");
            CompletableFuture<Connection> a3 = CompletableFuture.supplyAsync(() -> connect(proxy, "a"));
            Await.until(() -> proxy.stats("a").waiting() == 1, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
            CompletableFuture<Connection> b1 = CompletableFuture.supplyAsync(() -> connect(proxy, "b"));
            Await.until(() -> proxy.stats("b").waiting() == 1, Duration.ofSeconds(10), () -> "" + proxy.stats("b"));
            a1.close();
            Connection b = b1.get(20, TimeUnit.SECONDS);
            assertThat(RoutingIntegrationTest.canary(b)).isEqualTo(proxy.orgId("b"));
            assertThat(a3.isDone()).as("the noisy organization's extra client still waits").isFalse();
            b.close();
            a3.get(20, TimeUnit.SECONDS).close();
            a2.close();
        }
    }

    /**
     * A pool whose clients the server budget keeps waiting costs the others one connection at a time:
     * releases that come before the first closed connection has freed its slot keep theirs.
     */
    @Test
    void aStarvedOrganizationCostsAnotherOneConnectionAtATime() throws Exception {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.pool(3, 3, Duration.ofSeconds(20)), 1, "a", "b")) {
            proxy.connect("a").close();
            BackendPool pool = proxy.server().pools().all().stream()
                    .filter(p -> p.target().database().equals(proxy.database("a"))).findFirst().orElseThrow();
            EventExecutor loop = proxy.server().eventLoops().next();
            java.util.List<dev.pgtenant.proxy.backend.BackendConnection> held = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                CompletableFuture<dev.pgtenant.proxy.backend.BackendConnection> lent = new CompletableFuture<>();
                pool.acquire(loop, (connection, problem) -> {
                    if (problem != null) {
                        lent.completeExceptionally(problem);
                    } else {
                        lent.complete(connection);
                    }
                });
                held.add(lent.get(20, TimeUnit.SECONDS));
            }
            CompletableFuture<Connection> starved = CompletableFuture.supplyAsync(() -> connect(proxy, "b"));
            Await.until(() -> proxy.stats("b").waiting() == 1, Duration.ofSeconds(10), () -> "" + proxy.stats("b"));

            // All three come back in one task on the loop, ahead of any close it asks for.
            loop.submit(() -> held.forEach(pool::release)).get(10, TimeUnit.SECONDS);
            try (Connection b = starved.get(20, TimeUnit.SECONDS)) {
                assertThat(RoutingIntegrationTest.canary(b)).isEqualTo(proxy.orgId("b"));
            }
            assertThat(proxy.stats("a").idle()).as("connections of a kept").isEqualTo(2);
        }
    }

    private static Connection connect(ProxyFixture proxy, String org) {
        try {
            return proxy.connect(org);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
