package dev.pgtenant.protocol.codec;

import io.netty.buffer.ByteBuf;

/** Receives the messages a {@link MessageScanner} finds, where they lie in the bytes read. */
@FunctionalInterface
public interface MessageHandler {

    /**
     * One whole message of {@code type}, header included, at {@code index} to {@code index + length}
     * of {@code buffer}; or, from a scanner that merges runs, {@code count} consecutive DataRow or
     * CopyData messages there. The bytes are valid only during the call: retain what is kept, as
     * {@link Frame#of} does. Returns false to stop the scan after this message, keeping the bytes
     * that follow.
     */
    boolean message(byte type, ByteBuf buffer, int index, int length, int count);
}
