package dev.pgtenant.proxy.session;

import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.MessageParts;
import dev.pgtenant.protocol.message.backend.ReadyForQuery.TransactionStatus;
import dev.pgtenant.proxy.backend.BackendCanceller;
import dev.pgtenant.proxy.backend.BackendConnection;
import dev.pgtenant.proxy.backend.BackendUser;
import dev.pgtenant.proxy.pool.BackendPool;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Session pooling: the client keeps one backend connection until it leaves, and every message is
 * forwarded as the backend's scanner frames it (a row not whole in a read in parts), without
 * copying. The connection goes back to the pool only when the session ended with the backend idle
 * and the reset succeeded.
 */
final class SessionRelay implements Relay, BackendUser {

    private final ClientSession session;
    private final BackendPool pool;
    private final AtomicInteger awaitingReady = new AtomicInteger();
    private final AtomicInteger cancelsInFlight = new AtomicInteger();
    /** Where the row in parts stands, on the backend's loop, which reads it. */
    private final MessageParts rowParts = new MessageParts();
    private volatile BackendConnection backend;
    /** Whether the client has been sent part of a row and not yet its end, on the client's loop, which writes it. */
    private boolean clientMidRow;
    private boolean unsyncedExtendedQuery;

    SessionRelay(ClientSession session, BackendPool pool, BackendConnection backend) {
        this.session = session;
        this.pool = pool;
        this.backend = backend;
        backend.onLoop(() -> backend.setUser(this));
    }

    @Override
    public void clientFrame(Frame frame) {
        byte type = frame.type();
        if (type == 'X') {
            frame.release();
            session.close("the client ended the session");
            return;
        }
        switch (type) {
            case 'Q', 'F' -> awaitingReady.incrementAndGet();
            case 'S' -> {
                awaitingReady.incrementAndGet();
                unsyncedExtendedQuery = false;
            }
            case 'P', 'B', 'E', 'D', 'C', 'H' -> unsyncedExtendedQuery = true;
            default -> {
            }
        }
        BackendConnection current = backend;
        if (current == null) {
            frame.release();
            return;
        }
        current.write(frame.content());
        Channel client = session.channel();
        if (!current.channel().isWritable()) {
            client.config().setAutoRead(false);
            if (current.channel().isWritable()) {
                client.config().setAutoRead(true);
            }
        }
    }

    @Override
    public void clientReadComplete() {
        BackendConnection current = backend;
        if (current != null) {
            current.flush();
        }
    }

    @Override
    public void clientWritabilityChanged() {
        BackendConnection current = backend;
        if (current != null) {
            current.readWhileWritable(session.channel());
        }
    }

    @Override
    public void backendFrame(Frame frame) {
        Channel client = session.channel();
        if (frame.count() == 0) {
            writePart(client, frame.content());
        } else {
            if (frame.type() == 'Z') {
                awaitingReady.updateAndGet(n -> Math.max(0, n - 1));
            }
            client.write(frame.content(), client.voidPromise());
        }
        BackendConnection current = backend;
        if (current != null && !client.isWritable()) {
            current.channel().config().setAutoRead(false);
            if (client.isWritable()) {
                current.channel().config().setAutoRead(true);
            }
        }
    }

    /**
     * Written as every message is, so that the client's pending bytes count it at once (back-pressure);
     * the client's loop, where ClientSession.fatal asks whether the client is mid-row, learns so in
     * tasks queued in order with the writes: before the row's first part, and after its last.
     */
    private void writePart(Channel client, ByteBuf part) {
        boolean first = !rowParts.midMessage();
        boolean last = rowParts.add(part, part.readerIndex(), part.readableBytes());
        if (client.eventLoop().inEventLoop()) {
            clientMidRow = !last;
            client.write(part, client.voidPromise());
            return;
        }
        if (first) {
            onClientLoop(client, () -> clientMidRow = true);
        }
        client.write(part, client.voidPromise());
        if (last) {
            onClientLoop(client, () -> clientMidRow = false);
        }
    }

    private static void onClientLoop(Channel client, Runnable task) {
        try {
            client.eventLoop().execute(task);
        } catch (RejectedExecutionException stopping) {
            // The loop is shutting down, and the session with it.
        }
    }

    @Override
    public void backendReadComplete() {
        session.channel().flush();
    }

    @Override
    public void backendWritabilityChanged(boolean writable) {
        BackendConnection current = backend;
        session.executor().execute(() -> {
            if (current != null) {
                session.channel().config().setAutoRead(current.channel().isWritable());
            }
        });
    }

    @Override
    public void backendClosed(String reason) {
        session.executor().execute(() -> {
            BackendConnection lost = backend;
            backend = null;
            if (lost != null) {
                pool.discard(lost, reason);
            }
            session.fatal(SqlState.CONNECTION_FAILURE, "lost the connection to the database server of "
                    + session.destination() + " (" + reason + "); reconnect to continue");
        });
    }

    @Override
    public void clientClosed() {
        BackendConnection current = backend;
        backend = null;
        if (current == null) {
            return;
        }
        boolean unsynced = unsyncedExtendedQuery;
        boolean cancelPending = cancelsInFlight.get() > 0;
        // Decided on the backend's loop, where its status and the replies counted so far are current.
        current.onLoop(() -> {
            current.setUser(null);
            if (cancelPending) {
                pool.discard(current, "a cancel request for its client was still in flight");
            } else if (current.status() != TransactionStatus.IDLE) {
                pool.discard(current, "its client left inside a transaction");
            } else if (awaitingReady.get() > 0 || unsynced) {
                pool.discard(current, "its client left while a query was running");
            } else {
                pool.resetAndRelease(current);
            }
        });
    }

    @Override
    public boolean midMessage() {
        return clientMidRow;
    }

    @Override
    public void cancel() {
        cancelsInFlight.incrementAndGet();
        BackendConnection current = backend;
        if (current == null || current.key() == null || awaitingReady.get() == 0) {
            cancelsInFlight.decrementAndGet();
            return;
        }
        session.context().canceller().cancel(current.target().server(), current.key())
                .whenComplete((settled, failure) -> {
                    // Marked before the count drops, so that a client leaving in between cannot miss it.
                    if (!Boolean.TRUE.equals(settled)) {
                        current.markUnfitForNext(BackendCanceller.UNANSWERED);
                    }
                    cancelsInFlight.decrementAndGet();
                });
    }
}
