package dev.pgtenant.proxy.pool;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.proxy.backend.BackendConnection;
import io.netty.util.concurrent.EventExecutor;
import java.util.function.BiConsumer;

/**
 * A client waiting for a backend connection. Exactly one of a connection or an error reaches its
 * callback, on the client's own event loop.
 */
final class PoolWaiter {

    private final EventExecutor loop;
    private final BiConsumer<BackendConnection, ProtocolException> callback;
    private final long enqueuedNanos;

    PoolWaiter(EventExecutor loop, BiConsumer<BackendConnection, ProtocolException> callback, long enqueuedNanos) {
        this.loop = loop;
        this.callback = callback;
        this.enqueuedNanos = enqueuedNanos;
    }

    EventExecutor loop() {
        return loop;
    }

    long enqueuedNanos() {
        return enqueuedNanos;
    }

    void deliver(BackendConnection connection) {
        loop.execute(() -> callback.accept(connection, null));
    }

    void fail(ProtocolException problem) {
        loop.execute(() -> callback.accept(null, problem));
    }
}
