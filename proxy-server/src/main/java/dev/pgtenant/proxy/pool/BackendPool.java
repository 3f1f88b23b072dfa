package dev.pgtenant.proxy.pool;

import dev.pgtenant.config.PoolSettings;
import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.proxy.backend.BackendConnection;
import dev.pgtenant.proxy.backend.BackendConnector;
import dev.pgtenant.proxy.backend.BackendCredentials;
import dev.pgtenant.proxy.backend.BackendQuery;
import dev.pgtenant.proxy.backend.BackendTarget;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections to one backend database as one role. Clients acquire a connection, use it, and
 * give it back with {@link #release} (clean, reusable) or {@link #discard} (closed). Waiting clients
 * queue in order with a timeout. The books are kept under the {@link BackendServer}'s monitor.
 */
public final class BackendPool {

    private static final Logger log = LoggerFactory.getLogger(BackendPool.class);

    private enum Slot { OPENING, IDLE, ACTIVE }

    private final BackendTarget target;
    private final BackendServer server;
    private final PoolSettings settings;
    private final BackendConnector connector;
    private final ArrayDeque<BackendConnection> idle = new ArrayDeque<>();
    private final ArrayDeque<PoolWaiter> waiters = new ArrayDeque<>();
    private final Map<BackendConnection, Slot> connections = new IdentityHashMap<>();
    private final java.util.Set<BackendConnection> evicted = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private int opening;
    private boolean retired;
    /** Guarded by the server's monitor, like the rest of the books. */
    private boolean listedWaiting;
    /** Whether a timer is pending that will look for overdue waiters (and set itself again while any wait). */
    private boolean expiryTimerSet;
    private BackendCredentials credentials;
    private String credentialsPassword;

    BackendPool(BackendTarget target, BackendServer server, PoolSettings settings, BackendConnector connector) {
        this.target = target;
        this.server = server;
        this.settings = settings;
        this.connector = connector;
    }

    public BackendTarget target() {
        return target;
    }

    /**
     * Asks for a connection; {@code callback} runs on {@code loop} with a connection or a 53300/08001
     * error. An idle connection on the caller's own event loop is preferred. The returned ticket
     * withdraws the request with {@link #cancel}.
     */
    public Object acquire(EventExecutor loop, BiConsumer<BackendConnection, ProtocolException> callback) {
        return acquire(new PoolWaiter(loop, callback));
    }

    /**
     * Asks for a connection for {@code waiter}, which must not be waiting already: one whose callback
     * has run may wait again. Returns the ticket for {@link #cancel}.
     */
    public Object acquire(PoolWaiter waiter) {
        EventExecutor loop = waiter.loop();
        boolean refused;
        boolean startTimer = false;
        synchronized (server) {
            // Stamped under the monitor, so the queue is in deadline order and the timer need look only at its head.
            waiter.enqueuedAt(System.nanoTime());
            // A session that routed here just before a registry change: nobody would ever serve it.
            refused = retired;
            if (!refused) {
                waiters.add(waiter);
                server.waitingIn(this);
                startTimer = !expiryTimerSet;
                expiryTimerSet = true;
            }
        }
        if (refused) {
            waiter.fail(movedAway());
            return waiter;
        }
        if (startTimer) {
            scheduleExpiry(loop, settings.acquireTimeout().toNanos());
        }
        server.dispatch();
        return waiter;
    }

    /**
     * An idle connection at once, preferably on {@code loop}, when one is ready and nobody queues
     * before the caller; else {@code null}, and the caller goes through {@link #acquire}. The path a
     * transaction-mode client takes for almost every transaction, so it allocates nothing.
     */
    public BackendConnection tryAcquireIdle(EventExecutor loop) {
        synchronized (server) {
            while (waiters.isEmpty() && !retired && !idle.isEmpty()) {
                BackendConnection connection = takeIdleLocked(loop);
                if (connection.isOpen()) {
                    connections.put(connection, Slot.ACTIVE);
                    return connection;
                }
                forgetLocked(connection);
            }
            return null;
        }
    }

    /** Withdraws a request whose client has gone; a connection already on its way is released by the client. */
    public void cancel(Object ticket) {
        PoolWaiter waiter = (PoolWaiter) ticket;
        synchronized (server) {
            waiters.remove(waiter);
        }
    }

    /** Takes back a connection that is clean and idle (ReadyForQuery said idle, reset ran). */
    public void release(BackendConnection connection) {
        // Decided under the monitor, done after it: a close's reason or the waiter handed the connection.
        String closeBecause = null;
        PoolWaiter next = null;
        boolean dispatch;
        synchronized (server) {
            if (connections.get(connection) != Slot.ACTIVE) {
                return;
            }
            long now = System.nanoTime();
            long age = now - connection.createdNanos();
            BackendPool starved = server.starvedPoolLocked(this);
            if (!connection.isOpen() || connection.status() != ReadyForQuery.TransactionStatus.IDLE) {
                closeBecause = "returned to the pool in a state that is not idle";
            } else if (connection.unfitForNext() != null) {
                closeBecause = connection.unfitForNext();
            } else if (retired) {
                closeBecause = "its database left the registry or moved to another backend";
            } else if (age > settings.maxLifetime().toNanos()) {
                closeBecause = "reached its maximum lifetime of " + settings.maxLifetime();
            } else if (starved != null && (waiters.isEmpty() || totalLocked() > starved.totalLocked())) {
                closeBecause = "closed to give its slot to a waiting client of " + starved.target().database();
            } else if (!waiters.isEmpty()) {
                connections.put(connection, Slot.ACTIVE);
                next = waiters.poll();
            } else {
                connections.put(connection, Slot.IDLE);
                connection.markReleased(now);
                idle.addLast(connection);
            }
            if (closeBecause != null) {
                forgetLocked(connection);
                if (starved != null) {
                    // Its slot is the starved pool's once the socket has closed: until then, no other
                    // release closes one more for the same clients.
                    evicted.add(connection);
                    server.evictingLocked();
                }
            }
            // Nobody waits on this server: dispatch would find nothing, and a client that starts
            // waiting dispatches itself. Skipping it saves taking the monitor again per transaction.
            dispatch = server.anyWaitingLocked();
        }
        if (closeBecause != null) {
            connection.close(closeBecause);
        } else if (next != null) {
            next.deliver(connection);
        }
        if (dispatch) {
            server.dispatch();
        }
    }

    /**
     * Takes back a connection whose session state may be dirty: runs the reset query (DISCARD ALL
     * unless configured otherwise) and releases it if that succeeds and the backend is idle,
     * otherwise closes it.
     */
    public void resetAndRelease(BackendConnection connection) {
        if (connection.unfitForNext() != null) {
            discard(connection, connection.unfitForNext());
            return;
        }
        String reset = settings.resetQuery();
        if (reset.isBlank()) {
            if (connection.statements().size() > 0) {
                // The session could have replaced them under their names, and the next transaction-mode
                // client would run its SQL with their parameters.
                discard(connection, "a session ended on it without a reset query, so the statements prepared on it"
                        + " for transaction pooling may no longer be what they were");
                return;
            }
            connection.forgetClientSettings();
            // What the session set stays: the next login starts with RESET ALL.
            connection.markSettingsChanged();
            release(connection);
            return;
        }
        BackendQuery.run(connection, reset, settings.connectTimeout()).whenComplete((error, failure) -> {
            if (failure != null || error.isPresent()) {
                discard(connection, "the reset query failed: " + (failure != null ? failure.getMessage() : error.get().message()));
            } else {
                connection.resetDone();
                release(connection);
            }
        });
    }

    /** Closes a connection that cannot be reused (dirty, broken) and frees its slot. */
    public void discard(BackendConnection connection, String reason) {
        synchronized (server) {
            if (connections.containsKey(connection)) {
                idle.remove(connection);
                forgetLocked(connection);
            }
        }
        connection.close(reason);
        server.dispatch();
    }

    /** Closes idle connections past their idle timeout or lifetime, then opens up to minIdle. */
    void maintain() {
        List<Runnable> actions = new java.util.ArrayList<>();
        synchronized (server) {
            if (retired) {
                return;
            }
            long now = System.nanoTime();
            Iterator<BackendConnection> oldestFirst = idle.iterator();
            while (oldestFirst.hasNext()) {
                BackendConnection connection = oldestFirst.next();
                String reason = null;
                if (now - connection.createdNanos() > settings.maxLifetime().toNanos()) {
                    reason = "reached its maximum lifetime of " + settings.maxLifetime();
                } else if (now - connection.lastReleasedNanos() > settings.idleTimeout().toNanos()
                        && totalLocked() > settings.minIdle()) {
                    reason = "idle longer than " + settings.idleTimeout();
                }
                if (reason != null) {
                    oldestFirst.remove();
                    forgetLocked(connection);
                    String why = reason;
                    actions.add(() -> connection.close(why));
                }
            }
            while (totalLocked() < settings.minIdle() && server.hasRoom()) {
                openLocked(actions);
            }
        }
        actions.forEach(Runnable::run);
    }

    /**
     * The registry no longer routes to this pool: idle connections close now, busy ones when their
     * clients give them back.
     */
    void retire() {
        List<BackendConnection> idleNow;
        List<PoolWaiter> waiting;
        synchronized (server) {
            retired = true;
            server.remove(this);
            waiting = List.copyOf(waiters);
            waiters.clear();
            idleNow = List.copyOf(idle);
            idle.clear();
            idleNow.forEach(this::forgetLocked);
        }
        idleNow.forEach(c -> c.close("its database left the registry or moved to another backend"));
        waiting.forEach(w -> w.fail(movedAway()));
    }

    private static ProtocolException movedAway() {
        return new ProtocolException(SqlState.ADMIN_SHUTDOWN, "this database left the registry or moved to another backend; reconnect");
    }

    /** Closes every connection and fails every waiter; for shutdown. */
    void closeAll(String reason) {
        List<BackendConnection> open;
        List<PoolWaiter> waiting;
        synchronized (server) {
            open = List.copyOf(connections.keySet());
            waiting = List.copyOf(waiters);
            waiters.clear();
        }
        waiting.forEach(w -> w.fail(new ProtocolException(SqlState.ADMIN_SHUTDOWN, reason)));
        open.forEach(c -> c.close(reason));
    }

    /** Whether the registry no longer routes to this pool. */
    public boolean isRetired() {
        synchronized (server) {
            return retired;
        }
    }

    /** Counts for tests and the admin view: idle, active, opening, waiting. */
    public PoolStats stats() {
        synchronized (server) {
            int active = (int) connections.values().stream().filter(s -> s == Slot.ACTIVE).count();
            return new PoolStats(idle.size(), active, opening, waiters.size());
        }
    }

    /** Idle, checked-out and opening connections, and waiting clients, at one moment. */
    public record PoolStats(int idle, int active, int opening, int waiting) {
    }

    /** Open and opening connections. */
    int totalLocked() {
        return connections.size() + opening;
    }

    int idleCountLocked() {
        return idle.size();
    }

    boolean needsConnectionLocked() {
        return !retired && waiters.size() > opening && totalLocked() < settings.maxSize();
    }

    /** Sets whether the server lists this pool among those with waiting clients, and returns what it was. */
    boolean listedWaitingLocked(boolean listed) {
        boolean was = listedWaiting;
        listedWaiting = listed;
        return was;
    }

    boolean hasWaitersLocked() {
        return !waiters.isEmpty();
    }

    void handOutIdleLocked(List<Runnable> actions) {
        while (!waiters.isEmpty() && !idle.isEmpty()) {
            PoolWaiter waiter = waiters.poll();
            BackendConnection connection = takeIdleLocked(waiter.loop());
            if (!connection.isOpen()) {
                waiters.addFirst(waiter);
                forgetLocked(connection);
                continue;
            }
            connections.put(connection, Slot.ACTIVE);
            actions.add(() -> waiter.deliver(connection));
        }
    }

    /** The most recently used idle connection on {@code loop}, else the most recently used. */
    private BackendConnection takeIdleLocked(EventExecutor loop) {
        BackendConnection newest = idle.peekLast();
        if (newest != null && newest.channel().eventLoop() == loop) {
            // The usual case, and with one event loop the only one: no iterator for it.
            return idle.pollLast();
        }
        Iterator<BackendConnection> newestFirst = idle.descendingIterator();
        while (newestFirst.hasNext()) {
            BackendConnection candidate = newestFirst.next();
            if (candidate.channel().eventLoop() == loop) {
                newestFirst.remove();
                return candidate;
            }
        }
        return idle.pollLast();
    }

    /** Closes this pool's oldest idle connection to free a server slot for another organization. */
    boolean evictOldestIdleLocked(List<Runnable> actions) {
        BackendConnection candidate = idle.pollFirst();
        while (candidate != null && !candidate.isOpen()) {
            // Closing already: its slot frees without an eviction, and counting one would wait for a close that has run.
            forgetLocked(candidate);
            candidate = idle.pollFirst();
        }
        if (candidate == null) {
            return false;
        }
        BackendConnection oldest = candidate;
        forgetLocked(oldest);
        evicted.add(oldest);
        actions.add(() -> oldest.close("closed to make room for another organization's client"));
        return true;
    }

    /** Reserves a slot and opens a connection; the caller has checked the budgets. */
    void openLocked(List<Runnable> actions) {
        EventExecutor loop = loopOfNextUnservedWaiterLocked();
        opening++;
        server.opened();
        actions.add(() -> connector.blockingWork().execute(() -> open(loop)));
    }

    /**
     * The event loop of the first waiter that no connection being opened is meant for, if any: a
     * connection on its client's loop relays without handing every message to another thread.
     */
    private EventExecutor loopOfNextUnservedWaiterLocked() {
        int skip = opening;
        for (PoolWaiter waiter : waiters) {
            if (skip-- == 0) {
                return waiter.loop();
            }
        }
        return null;
    }

    private void open(EventExecutor loop) {
        BackendCredentials login;
        try {
            login = credentials();
        } catch (RuntimeException e) {
            opened(null, new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION,
                    "no backend password for " + target.describe() + ": " + e.getMessage()));
            return;
        }
        connector.connect(target, login, loop).whenComplete((connection, error) -> {
            if (error != null) {
                opened(null, error instanceof ProtocolException p ? p
                        : new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION, error.getMessage(), error));
            } else {
                opened(connection, null);
            }
        });
    }

    private void opened(BackendConnection connection, ProtocolException problem) {
        PoolWaiter failed = null;
        synchronized (server) {
            opening--;
            if (connection == null) {
                server.closed(false);
                failed = waiters.poll();
            } else if (retired) {
                failed = null;
            } else {
                connections.put(connection, Slot.IDLE);
                connection.markReleased(System.nanoTime());
                idle.addLast(connection);
            }
        }
        if (connection != null) {
            // Only once the connection is in the books: a socket that closed already is taken out of
            // them again at once, where a listener that ran first would have left it idle and dead.
            connection.channel().closeFuture().addListener(f -> closed(connection));
            if (retired) {
                connection.close("its database left the registry or moved to another backend");
            }
        }
        if (problem != null) {
            log.warn("cannot open a backend connection to {}: {}", target.describe(), problem.getMessage());
            if (failed != null) {
                failed.fail(problem);
            }
        }
        server.dispatch();
    }

    /**
     * The socket is closed: only now is its slot in the server budget free, so the proxy never holds
     * more connections than the budget, even for a moment.
     */
    private void closed(BackendConnection connection) {
        synchronized (server) {
            if (connections.get(connection) == Slot.IDLE) {
                idle.remove(connection);
            }
            connections.remove(connection);
            server.closed(evicted.remove(connection));
        }
        server.dispatch();
    }

    /**
     * Fails the clients that have waited longer than the acquire timeout. One timer serves the whole
     * queue, set for the deadline of its first waiter: a timer per wait, scheduled and cancelled for
     * nearly every transaction when clients outnumber connections, cost more than the wait it guarded.
     */
    private void expireOverdue() {
        long timeout = settings.acquireTimeout().toNanos();
        List<PoolWaiter> overdue = new java.util.ArrayList<>();
        PoolWaiter next;
        long nextDeadline = 0;
        PoolStats stats;
        synchronized (server) {
            long now = System.nanoTime();
            while (!waiters.isEmpty() && now - waiters.peekFirst().enqueuedNanos() >= timeout) {
                overdue.add(waiters.pollFirst());
            }
            next = waiters.peekFirst();
            expiryTimerSet = next != null;
            // Read here: a waiter is reused, and once out of the monitor it may be queued again, later.
            if (next != null) {
                nextDeadline = next.enqueuedNanos() + timeout;
            }
            stats = new PoolStats(idle.size(), connections.size() - idle.size(), opening, waiters.size());
        }
        if (!overdue.isEmpty()) {
            // The server's figures count every organization's connections: for the operator, not the client.
            log.warn("{} client(s) of {} waited {} s for a backend connection and were refused: {} in use of at most {},"
                    + " {} of {} on the server", overdue.size(), target.describe(), settings.acquireTimeout().toSeconds(),
                    stats.active(), settings.maxSize(), server.total(), server.maxConnections());
        }
        for (PoolWaiter waiter : overdue) {
            waiter.fail(new ProtocolException(SqlState.TOO_MANY_CONNECTIONS, "no backend connection to "
                    + target.database() + " became free within " + settings.acquireTimeout().toSeconds() + "s ("
                    + stats.active() + " in use of at most " + settings.maxSize() + "); try again later or raise pool.maxSize"));
        }
        if (next != null) {
            scheduleExpiry(next.loop(), nextDeadline - System.nanoTime());
        }
    }

    private void scheduleExpiry(EventExecutor loop, long delayNanos) {
        try {
            loop.schedule(this::expireOverdue, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException stopping) {
            // The loop is shutting down with the proxy; the next wait sets the timer again on its own loop.
            synchronized (server) {
                expiryTimerSet = false;
            }
        }
    }

    /** Stops counting a connection in this pool; the server budget is freed when its socket closes. */
    private void forgetLocked(BackendConnection connection) {
        connections.remove(connection);
    }

    private synchronized BackendCredentials credentials() {
        String password = target.password() == null ? null : target.password().resolve();
        if (credentials == null || !java.util.Objects.equals(password, credentialsPassword)) {
            credentials = BackendCredentials.of(password);
            credentialsPassword = password;
        }
        return credentials;
    }
}
