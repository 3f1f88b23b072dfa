package dev.pgtenant.protocol.codec;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Runs a decoder in an EmbeddedChannel over a tracking allocator and reports what came out: the
 * decoded objects (frames as their bytes), and the first error. Every buffer is released, and the
 * allocator is checked, before the result is returned.
 */
public final class Decoding {

    public record Result(List<Object> outputs, Throwable error, boolean pendingInput) {
        public ProtocolException protocolError() {
            if (!(error instanceof ProtocolException problem)) {
                throw new AssertionError("expected a ProtocolException but got " + error, error);
            }
            return problem;
        }
    }

    private Decoding() {
    }

    /** Feeds {@code input} in chunks of {@code chunkSize} bytes (0: all at once). */
    public static Result run(Supplier<ChannelHandler> decoder, byte[] input, int chunkSize) {
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(tracking.allocator());
        channel.pipeline().addLast(decoder.get());
        List<Object> outputs = new ArrayList<>();
        Throwable error = null;
        int step = chunkSize <= 0 ? Math.max(1, input.length) : chunkSize;
        for (int offset = 0; offset < input.length && error == null; offset += step) {
            ByteBuf chunk = tracking.allocator().buffer();
            chunk.writeBytes(input, offset, Math.min(step, input.length - offset));
            try {
                channel.writeInbound(chunk);
            } catch (DecoderException e) {
                error = e.getCause() == null ? e : e.getCause();
            } catch (RuntimeException e) {
                error = e;
            }
            drain(channel, outputs);
        }
        // Removing a decoder hands on the bytes it still holds: that is the undecoded rest.
        channel.pipeline().removeFirst();
        boolean pendingInput = false;
        for (Object rest = channel.readInbound(); rest != null; rest = channel.readInbound()) {
            pendingInput |= ((ByteBuf) rest).isReadable();
            ReferenceCountUtil.release(rest);
        }
        try {
            channel.finishAndReleaseAll();
        } catch (DecoderException e) {
            error = error == null ? e.getCause() : error;
        }
        tracking.assertAllReleased();
        return new Result(outputs, error, pendingInput);
    }

    private static void drain(EmbeddedChannel channel, List<Object> outputs) {
        for (Object out = channel.readInbound(); out != null; out = channel.readInbound()) {
            try {
                if (out instanceof Frame frame) {
                    outputs.add(new FrameBytes(frame.type(), frame.count(), ByteBufUtil.getBytes(frame.content())));
                } else {
                    outputs.add(out);
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
    }

    /** A frame's bytes, compared by value. */
    public record FrameBytes(byte type, int count, byte[] bytes) {
        @Override
        public boolean equals(Object other) {
            return other instanceof FrameBytes that && type == that.type && count == that.count
                    && java.util.Arrays.equals(bytes, that.bytes);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(bytes);
        }
    }
}
