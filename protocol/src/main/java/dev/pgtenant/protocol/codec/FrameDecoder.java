package dev.pgtenant.protocol.codec;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a byte stream into {@link Frame}s of typed messages. Checks the type and the declared
 * length as soon as the five header bytes are in, so a lying length fails at once and nothing is
 * allocated for bytes that have not arrived. Frames are retained slices of the input: no copy.
 * After the first error the rest of the stream is discarded, since its framing can't be trusted.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    /** PostgreSQL's own limit for most messages is 1 GB; a proxy can afford far less by default. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

    private final Direction direction;
    private final int maxMessageSize;
    private boolean failed;

    public FrameDecoder(Direction direction, int maxMessageSize) {
        if (maxMessageSize < Frame.HEADER_LENGTH) {
            throw new IllegalArgumentException("maxMessageSize must be at least " + Frame.HEADER_LENGTH);
        }
        this.direction = direction;
        this.maxMessageSize = maxMessageSize;
    }

    public FrameDecoder(Direction direction) {
        this(direction, DEFAULT_MAX_MESSAGE_SIZE);
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
        out.add(new Frame(type, in.readRetainedSlice(frameLength)));
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
