package dev.pgtenant.protocol.codec;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Finds typed messages in a byte stream by reading their headers where they lie, and hands each to
 * a {@link MessageHandler} as a place in the buffer read: no frame, slice or list per message, and
 * no pipeline stage of its own. Only a message split across reads is gathered (by a relaying
 * scanner, not even a row), so its bytes are kept until the rest arrives. Checks the type and the
 * declared length as soon as the five header bytes are in, so a lying length fails at once and
 * nothing is allocated for bytes that have not arrived. After the first error the rest of the
 * stream is discarded, since its framing can't be trusted.
 *
 * <p>A scanner that {@linkplain #mergingRuns merges runs} hands consecutive DataRow or CopyData
 * messages from the server, already in memory, on as one: a relay forwards them without looking
 * inside, and a large result then costs one call per read instead of one per row.
 *
 * <p>A {@linkplain #relaying relaying} scanner does the same, and hands on a DataRow or CopyData
 * message that is not whole in the read in parts, as its bytes arrive, with a {@code count} of 0:
 * a relay forwards them as they come, so a value of any size (PostgreSQL allows 1 GB) passes
 * without being gathered, and without {@code maxMessageSize}, which limits every other message.
 *
 * <p>Bytes kept from one read are never moved to make room for the next, and a prefix already handed
 * on is never copied: a relay may still be forwarding it. While a large message arrives, each new
 * buffer has room for up to twice the bytes in, never more than the message: gathering it copies
 * each byte about twice, and a length a client declares but does not send costs nothing
 * (docs/benchmarks.md, "Large results").
 */
public final class MessageScanner {

    /** PostgreSQL's own limit for most messages is 1 GB; a proxy can afford far less by default. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

    private final Direction direction;
    private final int maxMessageSize;
    private final boolean mergeRuns;
    private final boolean rowsInParts;
    /** The type of the DataRow or CopyData being handed on in parts, and how many of its bytes are still to come. */
    private byte partType;
    private long partRemaining;
    /** The start of a message that has not arrived whole, with what there is of it; null when none. */
    private ByteBuf kept;
    private boolean failed;

    public MessageScanner(Direction direction, int maxMessageSize) {
        this(direction, maxMessageSize, false, false);
    }

    private MessageScanner(Direction direction, int maxMessageSize, boolean mergeRuns, boolean rowsInParts) {
        if (maxMessageSize < Frame.HEADER_LENGTH) {
            throw new IllegalArgumentException("maxMessageSize must be at least " + Frame.HEADER_LENGTH);
        }
        this.direction = direction;
        this.maxMessageSize = maxMessageSize;
        this.mergeRuns = mergeRuns;
        this.rowsInParts = rowsInParts;
    }

    /** A scanner of a server's messages that hands on runs of DataRow or CopyData as one. */
    public static MessageScanner mergingRuns(int maxMessageSize) {
        return new MessageScanner(Direction.BACKEND, maxMessageSize, true, false);
    }

    /**
     * A scanner of a server's messages for a relay: it merges runs, and hands on a DataRow or
     * CopyData message not whole in a read in parts, whatever its length (see {@link MessageHandler#message}).
     */
    public static MessageScanner relaying(int maxMessageSize) {
        return new MessageScanner(Direction.BACKEND, maxMessageSize, true, true);
    }

    /**
     * Takes {@code in} (and releases it) and hands each whole message now in memory to
     * {@code handler} (a relaying scanner also what has come of a row), in order, until it asks to
     * stop. Throws a ProtocolException for a header that cannot be right; the messages before it
     * have been handed on, and all input after it is discarded.
     */
    public void read(ByteBuf in, ByteBufAllocator alloc, MessageHandler handler) {
        if (failed) {
            in.release();
            return;
        }
        ByteBuf buffer = kept == null ? in : gather(alloc, kept, in);
        kept = null;
        try {
            scan(buffer, handler);
        } finally {
            if (buffer.isReadable() && !failed) {
                kept = buffer;
            } else {
                buffer.release();
            }
        }
    }

    private void scan(ByteBuf buffer, MessageHandler handler) {
        if (partRemaining > 0 && buffer.isReadable() && !handPart(buffer, buffer.readerIndex(), handler)) {
            return;
        }
        while (buffer.readableBytes() >= Frame.HEADER_LENGTH) {
            int start = buffer.readerIndex();
            byte type = buffer.getByte(start);
            int length = buffer.getInt(start + 1);
            try {
                checkHeader(type, length);
            } catch (ProtocolException e) {
                failed = true;
                buffer.skipBytes(buffer.readableBytes());
                throw e;
            }
            long messageLength = length + 1L;
            if (buffer.readableBytes() < messageLength) {
                if (inParts(type)) {
                    partType = type;
                    partRemaining = messageLength;
                    handPart(buffer, start, handler);
                }
                return;
            }
            int runLength = (int) messageLength;
            int count = 1;
            if (mergeRuns && (type == 'D' || type == 'd')) {
                // Only whole, valid messages of the same type join the run; anything else is handed on by itself next.
                while (buffer.readableBytes() - runLength >= Frame.HEADER_LENGTH && buffer.getByte(start + runLength) == type) {
                    int next = buffer.getInt(start + runLength + 1);
                    if (next < 4 || next > maxMessageSize - 1 || buffer.readableBytes() - runLength < next + 1) {
                        break;
                    }
                    runLength += next + 1;
                    count++;
                }
            }
            buffer.readerIndex(start + runLength);
            if (!handler.message(type, buffer, start, runLength, count)) {
                return;
            }
        }
    }

    /** Hands on the bytes of the message under way that are in {@code buffer} from {@code start}; returns whether to go on. */
    private boolean handPart(ByteBuf buffer, int start, MessageHandler handler) {
        int length = (int) Math.min(partRemaining, buffer.writerIndex() - start);
        partRemaining -= length;
        buffer.readerIndex(start + length);
        return handler.message(partType, buffer, start, length, 0);
    }

    /** Whether a message of {@code type} not whole in a read goes on in parts: a relaying scanner's rows and COPY data. */
    private boolean inParts(byte type) {
        return rowsInParts && (type == 'D' || type == 'd');
    }

    /**
     * Gives up the bytes kept from earlier reads, so that another reader can go on where this one
     * stopped; null when there are none. The scanner holds nothing afterwards. Not for a relaying
     * scanner in the middle of a row, whose rest no new reader could frame.
     */
    public ByteBuf takeKept() {
        if (partRemaining > 0) {
            throw new IllegalStateException("in the middle of a row handed on in parts");
        }
        ByteBuf rest = kept;
        kept = null;
        return rest;
    }

    /** Releases what is kept: the stream has ended. */
    public void discard() {
        if (kept != null) {
            kept.release();
            kept = null;
        }
    }

    /**
     * Appends {@code in} where it fits in the spare room of the kept buffer; otherwise moves the
     * kept bytes, with {@code in}, to a new buffer sized for the message under way.
     */
    private ByteBuf gather(ByteBufAllocator alloc, ByteBuf earlier, ByteBuf in) {
        if (earlier == in) {
            // The same buffer handed in twice: its bytes are in already.
            in.release();
            return earlier;
        }
        try {
            int incoming = in.readableBytes();
            if (incoming <= earlier.maxFastWritableBytes() && !earlier.isReadOnly()) {
                earlier.writeBytes(in, in.readerIndex(), incoming);
                return earlier;
            }
            int pending = earlier.readableBytes();
            int arrived = pending + incoming;
            ByteBuf grown = alloc.buffer((int) Math.max(arrived, Math.min(2L * arrived, messageUnderWay(earlier))));
            ByteBuf toRelease = grown;
            try {
                grown.writeBytes(earlier, earlier.readerIndex(), pending).writeBytes(in, in.readerIndex(), incoming);
                toRelease = earlier;
                return grown;
            } finally {
                toRelease.release();
            }
        } finally {
            in.release();
        }
    }

    /** The length of the message whose start is pending, when its header is in and within the limit. */
    private int messageUnderWay(ByteBuf pending) {
        if (pending.readableBytes() < Frame.HEADER_LENGTH) {
            return 0;
        }
        int length = pending.getInt(pending.readerIndex() + 1);
        return length >= 4 && length <= maxMessageSize - 1 ? length + 1 : 0;
    }

    private void checkHeader(byte type, int length) {
        if (!direction.isKnownType(type)) {
            throw ProtocolException.violation("invalid " + direction.sender() + " message type " + Direction.describeType(type));
        }
        if (length < 4) {
            throw ProtocolException.violation("invalid message length " + length + ", below the minimum of 4");
        }
        if (length > maxMessageSize - 1 && !inParts(type)) {
            throw new ProtocolException(SqlState.PROGRAM_LIMIT_EXCEEDED, "message of type " + Direction.describeType(type)
                    + " is " + (length + 1L) + " bytes long, over the limit of " + maxMessageSize + " bytes");
        }
    }
}
