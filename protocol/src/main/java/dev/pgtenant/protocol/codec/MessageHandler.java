package dev.pgtenant.protocol.codec;

import io.netty.buffer.ByteBuf;

/** Receives the messages a {@link MessageScanner} finds, where they lie in the bytes read. */
@FunctionalInterface
public interface MessageHandler {

    /**
     * One whole message of {@code type}, header included, at {@code index} to {@code index + length}
     * of {@code buffer}; or, from a scanner that merges runs, {@code count} consecutive DataRow or
     * CopyData messages there; or, from a {@linkplain MessageScanner#relaying relaying} scanner, with
     * {@code count} 0, part of one DataRow or CopyData message that was not whole in the read: the
     * first part starts with its header, and the next calls, with nothing between them, bring the
     * rest of its bytes in order. The bytes are valid only during the call: retain what is kept, as
     * {@link Frame#of} does. Returns false to stop the scan after this message, keeping the bytes
     * that follow.
     */
    boolean message(byte type, ByteBuf buffer, int index, int length, int count);
}
