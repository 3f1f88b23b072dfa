package dev.pgtenant.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak checks themselves must be able to fail, or they prove nothing. */
class LeakChecksTest {

    @Test
    void trackingAllocatorNoticesABufferNeverReleased() {
        TrackingAllocator tracking = new TrackingAllocator();
        ByteBuf kept = tracking.utf8("not released");
        assertThatThrownBy(tracking::assertAllReleased).isInstanceOf(AssertionError.class).hasMessageContaining("12 bytes");
        kept.release();
        tracking.assertAllReleased();
        assertThat(tracking.outstandingBytes()).isZero();
    }

    @Test
    void leakDetectorReportsABufferDroppedWithoutRelease() {
        BufferLeaks.watch();
        leakOne();
        assertThatThrownBy(BufferLeaks::assertNoLeaks).isInstanceOf(AssertionError.class).hasMessageContaining("leaked");
        BufferLeaks.assertNoLeaks();
    }

    private static void leakOne() {
        ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(16);
        leaked.writeLong(42);
    }
}
