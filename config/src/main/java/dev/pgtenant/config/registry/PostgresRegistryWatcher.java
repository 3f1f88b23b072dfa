package dev.pgtenant.config.registry;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a snapshot of the PostgreSQL store current. One thread holds a connection of its own that
 * LISTENs on the store's channel: a notification makes it read what changed since the revision it
 * holds, at once. Every few seconds without one it checks the revision anyway, which also proves
 * the connection alive (reads time out). When the connection is lost, the last snapshot keeps
 * serving while it reconnects, and a reconnect reads the registry in full.
 */
final class PostgresRegistryWatcher implements RegistryWatcher {

    private static final Logger log = LoggerFactory.getLogger(PostgresRegistryWatcher.class);

    /** How long to wait for a notification before checking the revision anyway. */
    private static final Duration HEARTBEAT = Duration.ofSeconds(5);
    private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(5);

    private final PostgresRegistryStore store;
    private final BiConsumer<Registry, Registry> onChange;
    private final AtomicReference<PostgresRegistryStore.Snapshot> current;
    private final AtomicInteger failedReloads = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicReference<Connection> listening = new AtomicReference<>();
    private final Thread thread;
    /** The revision that last failed to load, so that a bad revision is reported once, not at every check. */
    private long failedRevision = -1;

    PostgresRegistryWatcher(PostgresRegistryStore store, BiConsumer<Registry, Registry> onChange) {
        this.store = store;
        this.onChange = onChange;
        this.current = new AtomicReference<>(store.snapshot());
        this.thread = new Thread(this::listen, "pgtenant-registry-listen");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public Registry get() {
        return current.get().registry();
    }

    @Override
    public int failedReloads() {
        return failedReloads.get();
    }

    private boolean isClosed() {
        return closed.getCount() == 0;
    }

    private void listen() {
        Duration delay = Duration.ofMillis(100);
        boolean reconnecting = false;
        while (!isClosed()) {
            try (Connection connection = store.connectDirectly()) {
                listening.set(connection);
                if (isClosed()) {
                    return;
                }
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + PostgresRegistrySchema.CHANNEL);
                }
                PGConnection notifications = connection.unwrap(PGConnection.class);
                // After a lost connection the control database may have failed over or been restored,
                // where revisions can repeat with other contents: start over from a full read.
                reload(connection, reconnecting);
                reconnecting = true;
                // Only once a read succeeded: a database that fails each read must not be read ten times a second.
                delay = Duration.ofMillis(100);
                while (!isClosed()) {
                    notifications.getNotifications((int) HEARTBEAT.toMillis());
                    reload(connection, false);
                }
            } catch (SQLException | RuntimeException e) {
                if (isClosed()) {
                    return;
                }
                log.warn("registry database {}: {}; serving the last loaded registry and reconnecting in {} ms",
                        store.location(), e.getMessage(), delay.toMillis());
            } finally {
                listening.set(null);
            }
            try {
                if (closed.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            delay = delay.multipliedBy(2).compareTo(MAX_RECONNECT_DELAY) > 0 ? MAX_RECONNECT_DELAY : delay.multipliedBy(2);
        }
    }

    private void reload(Connection connection, boolean full) throws SQLException {
        PostgresRegistryStore.Snapshot held = current.get();
        PostgresRegistryStore.Snapshot next;
        try {
            next = full ? store.snapshot(connection) : changesOrAll(connection, held);
        } catch (PostgresRegistryStore.UnloadableRevision e) {
            if (e.revision() != failedRevision) {
                failedRevision = e.revision();
                failedReloads.incrementAndGet();
                log.error("registry database {} changed (revision {}) but cannot be loaded, keeping the previous version: {}",
                        store.location(), e.revision(), e.getMessage());
            }
            return;
        }
        if (next == held) {
            return;
        }
        current.set(next);
        log.info("registry {} reloaded at revision {}: {} organizations, {} users", store.location(), next.revision(),
                next.registry().organizations().size(), next.registry().users().size());
        try {
            onChange.accept(held.registry(), next.registry());
        } catch (RuntimeException e) {
            log.error("applying registry revision {} to running sessions failed: {}", next.revision(), e.toString(), e);
        }
    }

    /**
     * The changes since {@code held}; when they cannot be applied, a full read decides, as it alone does
     * not depend on what is held (a failed merge would otherwise fail again at every later revision).
     */
    private PostgresRegistryStore.Snapshot changesOrAll(Connection connection, PostgresRegistryStore.Snapshot held)
            throws SQLException {
        try {
            return store.changesSince(connection, held);
        } catch (PostgresRegistryStore.UnloadableRevision e) {
            return store.snapshot(connection);
        }
    }

    @Override
    public void close() {
        closed.countDown();
        Connection connection = listening.get();
        if (connection != null) {
            try {
                // abort, not close: close would wait for the lock the listening thread holds while it blocks.
                connection.abort(Runnable::run);
            } catch (SQLException e) {
                log.debug("aborting the registry listener connection: {}", e.getMessage());
            }
        }
        try {
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
