package dev.pgtenant.protocol.codec;

import io.netty.buffer.ByteBuf;

/**
 * Follows a message that a {@linkplain MessageScanner#relaying relaying scanner} hands on in parts,
 * for a relay that must not write anything else to its client in the middle of one. Not
 * thread-safe: used on the thread that forwards the parts.
 */
public final class MessageParts {

    private long remaining;

    /**
     * Counts the part at {@code index} to {@code index + length} of {@code buffer}; the first part of
     * a message starts with its header, which gives its length. Returns whether the part ends it.
     */
    public boolean add(ByteBuf buffer, int index, int length) {
        long left = remaining == 0 ? buffer.getInt(index + 1) + 1L : remaining;
        left -= length;
        remaining = left;
        return left == 0;
    }

    /** Whether part of a message has been counted and the rest has not. */
    public boolean midMessage() {
        return remaining > 0;
    }
}
