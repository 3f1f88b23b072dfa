package dev.pgtenant.proxy.pool;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.proxy.backend.BackendConnection;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.function.BiConsumer;

/**
 * A client waiting for a backend connection. Exactly one of a connection or an error reaches its
 * callback, on the client's own event loop.
 */
final class PoolWaiter {

    private final EventExecutor loop;
    private final BiConsumer<BackendConnection, ProtocolException> callback;
    private final long enqueuedNanos = System.nanoTime();
    private ScheduledFuture<?> timeout;

    PoolWaiter(EventExecutor loop, BiConsumer<BackendConnection, ProtocolException> callback) {
        this.loop = loop;
        this.callback = callback;
    }

    EventExecutor loop() {
        return loop;
    }

    long enqueuedNanos() {
        return enqueuedNanos;
    }

    void timeout(ScheduledFuture<?> timeout) {
        this.timeout = timeout;
    }

    void deliver(BackendConnection connection) {
        cancelTimeout();
        loop.execute(() -> callback.accept(connection, null));
    }

    void fail(ProtocolException problem) {
        cancelTimeout();
        loop.execute(() -> callback.accept(null, problem));
    }

    void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }
}
