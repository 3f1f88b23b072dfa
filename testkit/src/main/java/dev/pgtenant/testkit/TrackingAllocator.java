package dev.pgtenant.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * An allocator that knows how many bytes it has handed out and not had back. Give
 * {@link #allocator()} to an EmbeddedChannel and build the test's input with it: when the test ends,
 * {@link #outstandingBytes()} must be zero, or some buffer was not released exactly once.
 */
public final class TrackingAllocator {

    private final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false, false);

    public ByteBufAllocator allocator() {
        return allocator;
    }

    public long outstandingBytes() {
        return allocator.metric().usedHeapMemory() + allocator.metric().usedDirectMemory();
    }

    public void assertAllReleased() {
        long outstanding = outstandingBytes();
        if (outstanding != 0) {
            throw new AssertionError(outstanding + " bytes of buffers were never released");
        }
    }

    public ByteBuf bytes(byte[] content) {
        ByteBuf buf = allocator.heapBuffer(content.length);
        buf.writeBytes(content);
        return buf;
    }

    public ByteBuf utf8(String content) {
        return bytes(content.getBytes(StandardCharsets.UTF_8));
    }
}
