package dev.pgtenant.proxy.pool;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.proxy.backend.BackendConnection;
import io.netty.util.concurrent.EventExecutor;
import java.util.function.BiConsumer;

/**
 * A client waiting for a backend connection. Exactly one of a connection or an error reaches its
 * callback, on the client's own event loop. A waiter may wait again once its callback has run, so a
 * client that waits for nearly every transaction makes no waiter for each; it is itself the task
 * that carries the answer to the loop.
 */
public final class PoolWaiter implements Runnable {

    private final EventExecutor loop;
    private final BiConsumer<BackendConnection, ProtocolException> callback;
    /** Set under the pool's monitor when the wait begins. */
    private long enqueuedNanos;
    /** The answer on its way to the loop; published by the loop's task queue. */
    private BackendConnection connection;
    private ProtocolException problem;

    public PoolWaiter(EventExecutor loop, BiConsumer<BackendConnection, ProtocolException> callback) {
        this.loop = loop;
        this.callback = callback;
    }

    EventExecutor loop() {
        return loop;
    }

    long enqueuedNanos() {
        return enqueuedNanos;
    }

    void enqueuedAt(long nanos) {
        enqueuedNanos = nanos;
    }

    void deliver(BackendConnection connection) {
        answer(connection, null);
    }

    void fail(ProtocolException problem) {
        answer(null, problem);
    }

    private void answer(BackendConnection connection, ProtocolException problem) {
        this.connection = connection;
        this.problem = problem;
        loop.execute(this);
    }

    /** Hands the answer to the callback; cleared first, since the callback may wait again with this waiter. */
    @Override
    public void run() {
        BackendConnection delivered = connection;
        ProtocolException failed = problem;
        connection = null;
        problem = null;
        callback.accept(delivered, failed);
    }
}
