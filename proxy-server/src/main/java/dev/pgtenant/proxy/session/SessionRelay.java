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
 * forwarded as a whole frame, without copying. The connection goes back to the pool only when the
 * session ended with the backend idle and the reset succeeded.
 */
final class SessionRelay implements Relay, BackendUser {

    private final ClientSession session;
    private final BackendPool pool;
    private final AtomicInteger awaitingReady = new AtomicInteger();
    private final AtomicInteger cancelsInFlight = new AtomicInteger();
    private volatile BackendConnection backend;
    private final MessageParts rowParts = new MessageParts();
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
     * Counted where the part is written, on the client's loop, in the order of the writes the
     * backend's loop hands there: ClientSession.fatal asks on that loop whether the client is mid-row.
     */
    private void writePart(Channel client, ByteBuf part) {
        if (client.eventLoop().inEventLoop()) {
            rowParts.add(part, part.readerIndex(), part.readableBytes());
            client.write(part, client.voidPromise());
            return;
        }
        try {
            client.eventLoop().execute(() -> writePart(client, part));
        } catch (RejectedExecutionException stopping) {
            part.release();
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
        return rowParts.midMessage();
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
