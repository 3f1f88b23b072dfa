package dev.pgtenant.proxy.backend;

import dev.pgtenant.protocol.codec.Frame;

/**
 * Whoever a backend connection's messages currently go to: the client session relaying them, or a
 * short task such as applying a client's parameters or resetting the connection for the pool.
 */
public interface BackendUser {

    /** One backend message; the receiver owns the frame and releases it. */
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
