package dev.pgtenant.proxy.backend;

import dev.pgtenant.protocol.codec.Frame;
import io.netty.buffer.ByteBuf;

/**
 * Whoever a backend connection's messages currently go to: the client session relaying them, or a
 * short task such as applying a client's parameters or resetting the connection for the pool.
 */
public interface BackendUser {

    /**
     * One backend message where it lies in the read buffer, valid only during the call (see
     * {@link dev.pgtenant.protocol.codec.MessageHandler#message}): a relay on the connection's
     * event loop can forward it without a frame. By default it becomes a {@link #backendFrame}.
     */
    default void backendMessage(byte type, ByteBuf buffer, int index, int length, int count) {
        backendFrame(Frame.of(type, buffer, index, length, count));
    }

    /** One backend message as a frame; the receiver owns it and releases it. */
    void backendFrame(Frame frame);

    /** The backend's last read batch is done: a good moment to flush. */
    default void backendReadComplete() {
    }

    /** The connection to the backend can take more writes, or cannot. */
    default void backendWritabilityChanged(boolean writable) {
    }

    /** The connection is gone; {@code reason} says why, for logs and the client. */
    void backendClosed(String reason);
}
