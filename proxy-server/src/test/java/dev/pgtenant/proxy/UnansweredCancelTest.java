package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.PoolMode;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.testkit.Await;
import dev.pgtenant.testkit.TestPostgres;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A cancel request that the backend server has not answered when the proxy gives up on it (after
 * the connect timeout) may still be read later: a server under load takes it from its listen queue
 * when it gets to it, and cancels whatever that backend runs then. That backend must therefore not go
 * on to another client, in transaction mode as in session mode once its client leaves.
 */
class UnansweredCancelTest {

    private static final Duration WITHIN = Duration.ofSeconds(30);

    @ParameterizedTest
    @ValueSource(strings = {"transaction", "session"})
    void aBackendWhoseCancelWentUnansweredServesNoOtherClient(String mode) throws Exception {
        TestPostgres postgres = TestPostgres.get();
        ExecutorService threads = Executors.newCachedThreadPool();
        try (CancelHoldingRelay relay = new CancelHoldingRelay(postgres.host(), postgres.port(), threads);
             ProxyFixture proxy = ProxyFixture.start(ProxyFixture.transactionPool(1).withMode(PoolMode.parse(mode, "mode")), "a")) {
            String id = proxy.orgId("a");
            proxy.update(registry -> {
                BackendLogin login = registry.organization(id).orElseThrow().backend();
                return registry.withOrganization(new Organization(id, new BackendLogin(
                        new BackendAddress("127.0.0.1", relay.port()), login.database(), login.user(), login.password())));
            });
            try (Connection first = proxy.connect("a"); Statement statement = first.createStatement()) {
                CompletableFuture<Void> query = run(statement, "SELECT pg_sleep(5)", threads);
                Await.until(() -> running(postgres, "SELECT pg_sleep(5)"), WITHIN, () -> "the first query did not start");
                statement.cancel();
                Await.until(() -> relay.held().size() == 1, WITHIN, () -> "the cancel request did not reach the server");
                query.get(WITHIN.toSeconds(), TimeUnit.SECONDS);
                // The proxy gives up on the cancel after the connect timeout, with the first client still connected.
                Await.until(() -> relay.abandoned() == 1, WITHIN, () -> "the proxy never gave up on the cancel request");
                if (mode.equals("transaction")) {
                    Await.until(() -> proxy.stats("a").active() == 0, WITHIN, () -> "the backend was never let go: " + proxy.stats("a"));
                }
            }
            try (Connection second = proxy.connect("a"); Statement other = second.createStatement()) {
                CompletableFuture<Void> victim = run(other, "SELECT pg_sleep(6)", threads);
                Await.until(() -> running(postgres, "SELECT pg_sleep(6)"), WITHIN, () -> "the second query did not start");
                relay.deliverHeld();
                victim.get(WITHIN.toSeconds(), TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private static CompletableFuture<Void> run(Statement statement, String sql, ExecutorService threads) {
        return CompletableFuture.runAsync(() -> {
            try {
                statement.execute(sql);
            } catch (SQLException e) {
                throw new IllegalStateException(sql + " failed: " + e.getSQLState() + " " + e.getMessage(), e);
            }
        }, threads);
    }

    private static boolean running(TestPostgres postgres, String sql) {
        try (Connection admin = postgres.connect(); Statement statement = admin.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                     + " AND query = '" + sql + "'")) {
            rows.next();
            return rows.getInt(1) == 1;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Relays connections to PostgreSQL, except cancel requests: those it reads and keeps, leaving the
     * sender waiting, until {@link #deliverHeld} passes them on, late.
     */
    private static final class CancelHoldingRelay implements AutoCloseable {
        private static final int CANCEL_CODE = 80877102;

        private final String host;
        private final int port;
        private final ExecutorService threads;
        private final ServerSocket listener;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final List<byte[]> held = new CopyOnWriteArrayList<>();
        private final AtomicInteger abandoned = new AtomicInteger();

        CancelHoldingRelay(String host, int port, ExecutorService threads) throws IOException {
            this.host = host;
            this.port = port;
            this.threads = threads;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            threads.execute(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        List<byte[]> held() {
            return held;
        }

        /** Cancel connections the proxy closed without an answer. */
        int abandoned() {
            return abandoned.get();
        }

        void deliverHeld() throws IOException {
            for (byte[] request : held) {
                try (Socket server = new Socket(host, port)) {
                    server.setSoTimeout(10_000);
                    server.getOutputStream().write(request);
                    server.getOutputStream().flush();
                    // PostgreSQL closes a cancel connection once it has acted on it.
                    assertThat(server.getInputStream().read()).isEqualTo(-1);
                }
            }
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket client = listener.accept();
                    sockets.add(client);
                    threads.execute(() -> serve(client));
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private void serve(Socket client) {
            try {
                byte[] start = new byte[8];
                new DataInputStream(client.getInputStream()).readFully(start);
                if (java.nio.ByteBuffer.wrap(start).getInt(4) == CANCEL_CODE) {
                    byte[] request = java.util.Arrays.copyOf(start, 16);
                    new DataInputStream(client.getInputStream()).readFully(request, 8, 8);
                    held.add(request);
                    // Unanswered, the proxy closes the connection in the end.
                    if (client.getInputStream().read() == -1) {
                        abandoned.incrementAndGet();
                    }
                    return;
                }
                Socket server = new Socket(host, port);
                sockets.add(server);
                server.getOutputStream().write(start);
                threads.execute(() -> pump(server, client));
                pump(client, server);
            } catch (IOException e) {
                close(client);
            }
        }

        private static void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buffer)) != -1; ) {
                    out.write(buffer, 0, n);
                }
            } catch (IOException closed) {
                // Either side went away; closing the other ends the connection through the relay.
            }
            close(to);
        }

        private static void close(Socket socket) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Already closed.
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            sockets.forEach(CancelHoldingRelay::close);
        }
    }
}
