package dev.pgtenant.protocol.codec;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a byte stream into {@link Frame}s of typed messages. Checks the type and the declared
 * length as soon as the five header bytes are in, so a lying length fails at once and nothing is
 * allocated for bytes that have not arrived. Frames are retained slices of the input: no copy.
 * After the first error the rest of the stream is discarded, since its framing can't be trusted.
 *
 * <p>{@link #mergingRuns} makes a decoder give consecutive DataRow or CopyData messages from the
 * server, already in memory, as one frame: a relay forwards them without looking inside, and a
 * large result then costs one frame per read instead of one per row.
 *
 * <p>Bytes are gathered by {@link #cumulate}, not by Netty's merging cumulator. That one grows the
 * buffer in place whenever the decoder alone holds it, keeping the bytes already decoded in front;
 * since frames are slices that a slow reader keeps alive past the end of each read, those bytes were
 * never discarded, and a 100 MB result grew one buffer past the allocator's pooled sizes, every read
 * then reallocating megabytes of freshly zeroed memory (docs/benchmarks.md, "Large results").
 */
public final class FrameDecoder extends ByteToMessageDecoder implements ByteToMessageDecoder.Cumulator {

    /** PostgreSQL's own limit for most messages is 1 GB; a proxy can afford far less by default. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

    private final Direction direction;
    private final int maxMessageSize;
    private final boolean mergeRuns;
    private boolean failed;

    public FrameDecoder(Direction direction, int maxMessageSize) {
        this(direction, maxMessageSize, false);
    }

    public FrameDecoder(Direction direction) {
        this(direction, DEFAULT_MAX_MESSAGE_SIZE);
    }

    private FrameDecoder(Direction direction, int maxMessageSize, boolean mergeRuns) {
        if (maxMessageSize < Frame.HEADER_LENGTH) {
            throw new IllegalArgumentException("maxMessageSize must be at least " + Frame.HEADER_LENGTH);
        }
        this.direction = direction;
        this.maxMessageSize = maxMessageSize;
        this.mergeRuns = mergeRuns;
        setCumulator(this);
    }

    /** A decoder of a server's messages that gives runs of DataRow or CopyData as one {@link Frame}. */
    public static FrameDecoder mergingRuns(int maxMessageSize) {
        return new FrameDecoder(Direction.BACKEND, maxMessageSize, true);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Frame.HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        byte type = in.getByte(start);
        int length = in.getInt(start + 1);
        try {
            checkHeader(type, length);
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
        int frameLength = length + 1;
        if (in.readableBytes() < frameLength) {
            return;
        }
        if (!mergeRuns || (type != 'D' && type != 'd')) {
            out.add(new Frame(type, in.readRetainedSlice(frameLength)));
            return;
        }
        int runLength = frameLength;
        int count = 1;
        // Only whole, valid messages of the same type join the run; anything else is decoded on its own next.
        while (in.readableBytes() - runLength >= Frame.HEADER_LENGTH && in.getByte(start + runLength) == type) {
            int next = in.getInt(start + runLength + 1);
            if (next < 4 || next > maxMessageSize - 1 || in.readableBytes() - runLength < next + 1) {
                break;
            }
            runLength += next + 1;
            count++;
        }
        out.add(new Frame(type, in.readRetainedSlice(runLength), count));
    }

    /**
     * Appends {@code in} where it fits in the buffer's spare room; otherwise moves the bytes not yet
     * decoded, with {@code in}, to a new buffer. A decoded prefix is never copied. While a large
     * message arrives, each new buffer has room for up to twice the bytes in, never more than the
     * message: gathering it copies each byte about twice, and a length a client declares but does
     * not send costs nothing. (The decoder is its own cumulator, which spares an object per
     * connection.)
     */
    @Override
    public ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        if (cumulation == in) {
            // The same buffer handed in twice (as Netty's own cumulator allows): its bytes are in already.
            in.release();
            return cumulation;
        }
        if (!cumulation.isReadable() && in.isContiguous()) {
            cumulation.release();
            return in;
        }
        try {
            int incoming = in.readableBytes();
            if (incoming <= cumulation.maxFastWritableBytes() && !cumulation.isReadOnly()) {
                cumulation.writeBytes(in, in.readerIndex(), incoming);
                return cumulation;
            }
            int pending = cumulation.readableBytes();
            int arrived = pending + incoming;
            ByteBuf grown = alloc.buffer((int) Math.max(arrived, Math.min(2L * arrived, messageUnderWay(cumulation))));
            ByteBuf toRelease = grown;
            try {
                grown.writeBytes(cumulation, cumulation.readerIndex(), pending).writeBytes(in, in.readerIndex(), incoming);
                toRelease = cumulation;
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
        if (length > maxMessageSize - 1) {
            throw new ProtocolException(SqlState.PROGRAM_LIMIT_EXCEEDED, "message of type " + Direction.describeType(type)
                    + " is " + (length + 1L) + " bytes long, over the limit of " + maxMessageSize + " bytes");
        }
    }
}
