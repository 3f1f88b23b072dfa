package dev.pgtenant.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * A {@link MessageScanner} as a pipeline stage: splits a byte stream into {@link Frame}s, retained
 * slices of the input, passed on one by one. For phases where a message at a time is simplest, such
 * as a login; a relay's hot path reads with a scanner of its own. Removed from the pipeline, even
 * while it passes on a frame, it hands the bytes it has not framed to the next handler.
 */
public final class FrameDecoder extends ChannelInboundHandlerAdapter implements MessageHandler {

    private final MessageScanner scanner;
    private ChannelHandlerContext ctx;
    private boolean reading;
    private boolean removed;

    public FrameDecoder(Direction direction, int maxMessageSize) {
        this(new MessageScanner(direction, maxMessageSize));
    }

    public FrameDecoder(Direction direction) {
        this(direction, MessageScanner.DEFAULT_MAX_MESSAGE_SIZE);
    }

    private FrameDecoder(MessageScanner scanner) {
        this.scanner = scanner;
    }

    /** A decoder of a server's messages that gives runs of DataRow or CopyData as one {@link Frame}. */
    public static FrameDecoder mergingRuns(int maxMessageSize) {
        return new FrameDecoder(MessageScanner.mergingRuns(maxMessageSize));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        reading = true;
        try {
            scanner.read(in, ctx.alloc(), this);
        } finally {
            reading = false;
            if (removed) {
                handOver();
            }
        }
    }

    /** Passes the message on as a frame; stops the scan once the decoder has been removed. */
    @Override
    public boolean message(byte type, ByteBuf buffer, int index, int length, int count) {
        ctx.fireChannelRead(Frame.of(type, buffer, index, length, count));
        return !removed;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        removed = true;
        if (!reading) {
            handOver();
        }
    }

    private void handOver() {
        ByteBuf rest = scanner.takeKept();
        if (rest == null) {
            return;
        }
        if (rest.isReadable()) {
            ctx.fireChannelRead(rest);
            ctx.fireChannelReadComplete();
        } else {
            rest.release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        scanner.discard();
        ctx.fireChannelInactive();
    }
}
