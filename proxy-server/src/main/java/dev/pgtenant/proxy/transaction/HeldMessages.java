package dev.pgtenant.proxy.transaction;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Whole client messages kept in the order they came, copied one after the other into one pooled
 * buffer: holding a transaction's messages costs no object per message, and none of them keeps the
 * client's read buffer alive. An empty one holds no buffer. {@link #NONE} stands for a session's
 * first until it needs one.
 */
final class HeldMessages {

    /** Empty and never written: adding to it fails, so no session's messages can land where all would see them. */
    static final HeldMessages NONE = new HeldMessages(null);

    private static final int FIRST_CAPACITY = 256;

    private final ByteBufAllocator allocator;
    private final ClientMessage view = new ClientMessage();
    private ByteBuf bytes;
    private int count;

    HeldMessages(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    void add(ClientMessage message) {
        if (allocator == null) {
            throw new IllegalStateException("messages added to the shared empty list");
        }
        if (bytes == null) {
            bytes = allocator.buffer(Math.max(FIRST_CAPACITY, message.length()));
        }
        bytes.writeBytes(message.buffer(), message.index(), message.length());
        count++;
    }

    boolean isEmpty() {
        return count == 0;
    }

    int size() {
        return count;
    }

    /** The bytes held, headers included. */
    int byteCount() {
        return bytes == null ? 0 : bytes.readableBytes();
    }

    boolean anyMatch(Predicate<ClientMessage> test) {
        for (int at = start(); at < end(); at = view.end()) {
            if (test.test(at(bytes, at, view))) {
                return true;
            }
        }
        return false;
    }

    /** Hands each message to {@code action}, through a view valid during the call. */
    void forEach(Consumer<ClientMessage> action) {
        for (int at = start(); at < end(); at = view.end()) {
            action.accept(at(bytes, at, view));
        }
    }

    /**
     * Takes the messages out, leaving this empty: the caller walks them with {@link #at} from the
     * reader index and releases the buffer. Null when there are none.
     */
    ByteBuf take() {
        ByteBuf taken = bytes;
        bytes = null;
        count = 0;
        return taken;
    }

    void clear() {
        ByteBuf dropped = take();
        if (dropped != null) {
            dropped.release();
        }
    }

    /** Sets {@code view} to the message at {@code index} of held or taken bytes; the next one starts at its end. */
    static ClientMessage at(ByteBuf messages, int index, ClientMessage view) {
        // The type byte, then a length that counts itself and the body.
        return view.set(messages.getByte(index), messages, index, 1 + messages.getInt(index + 1));
    }

    private int start() {
        return bytes == null ? 0 : bytes.readerIndex();
    }

    private int end() {
        return bytes == null ? 0 : bytes.writerIndex();
    }
}
