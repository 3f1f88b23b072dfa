package dev.pgtenant.proxy.session;

import dev.pgtenant.protocol.codec.Frame;
import io.netty.buffer.ByteBuf;

/**
 * Carries an authenticated client's traffic to backends: {@link SessionRelay} keeps one backend
 * for the whole session, {@code TransactionRelay} takes one per transaction. Methods named
 * {@code client...} run on the client's event loop.
 */
public interface Relay {

    /** A message from the client; the relay owns the frame. */
    void clientFrame(Frame frame);

    /**
     * A message from the client, at {@code index} to {@code index + length} of {@code buffer}, which
     * is valid only during the call: a relay that keeps the message retains what it keeps.
     */
    default void clientMessage(byte type, ByteBuf buffer, int index, int length) {
        clientFrame(Frame.of(type, buffer, index, length, 1));
    }

    /** The client's read batch is done: flush what was forwarded. */
    void clientReadComplete();

    /** The client channel can take more writes again, or cannot. */
    void clientWritabilityChanged();

    /** The client is gone: return or close the backend connection as its state allows. */
    void clientClosed();

    /** A CancelRequest with this session's key arrived; called from any thread. */
    void cancel();

    /**
     * Whether the client has so far been sent only part of a message (a row passed on as it
     * arrives): nothing else may be written to it before the rest, or the client reads it as the row's bytes.
     */
    default boolean midMessage() {
        return false;
    }
}
