package dev.pgtenant.protocol.codec;

import static dev.pgtenant.protocol.Wire.bytes;
import static dev.pgtenant.protocol.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.testkit.BufferLeaks;
import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RunWriterTest {

    private static final byte[] PARSE_COMPLETE = message('1');
    private static final byte[] BIND_COMPLETE = message('2');
    private static final byte[] READY = message('Z', 'I');

    private final TrackingAllocator tracking = new TrackingAllocator();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final RunWriter writer = new RunWriter(channel);

    @BeforeAll
    static void watchLeaks() {
        BufferLeaks.watch();
    }

    @AfterAll
    static void noLeaks() {
        BufferLeaks.assertNoLeaks();
    }

    @AfterEach
    void everythingReleased() {
        channel.finishAndReleaseAll();
        tracking.assertAllReleased();
    }

    @Test
    void messagesOneAfterTheOtherInABufferGoOutAsOneWrite() {
        ByteBuf read = tracking.bytes(bytes(PARSE_COMPLETE, BIND_COMPLETE, READY));
        writer.write(read, 0, PARSE_COMPLETE.length);
        writer.write(read, PARSE_COMPLETE.length, BIND_COMPLETE.length);
        writer.write(read, PARSE_COMPLETE.length + BIND_COMPLETE.length, READY.length);
        read.release();
        assertThat(channel.unsafe().outboundBuffer().totalPendingWriteBytes()).as("nothing is written before the run ends")
                .isZero();
        writer.flush();
        assertThat(writes()).containsExactly(bytes(PARSE_COMPLETE, BIND_COMPLETE, READY));
    }

    @Test
    void aGapOrAnotherBufferStartsANewRunAndOrderIsKept() {
        ByteBuf first = tracking.bytes(bytes(PARSE_COMPLETE, BIND_COMPLETE, READY));
        ByteBuf second = tracking.bytes(READY);
        writer.write(first, 0, PARSE_COMPLETE.length);
        // BindComplete left out: the ReadyForQuery after it is not contiguous with the run.
        writer.write(first, PARSE_COMPLETE.length + BIND_COMPLETE.length, READY.length);
        writer.write(second, 0, READY.length);
        first.release();
        second.release();
        writer.flush();
        assertThat(writes()).containsExactly(PARSE_COMPLETE, READY, READY);
    }

    @Test
    void aBufferOfItsOwnGoesAfterThePendingRun() {
        ByteBuf read = tracking.bytes(bytes(PARSE_COMPLETE, BIND_COMPLETE));
        writer.write(read, 0, PARSE_COMPLETE.length);
        writer.write(tracking.bytes(READY));
        writer.write(read, PARSE_COMPLETE.length, BIND_COMPLETE.length);
        read.release();
        writer.flush();
        assertThat(writes()).containsExactly(PARSE_COMPLETE, READY, BIND_COMPLETE);
    }

    @Test
    void framesReadFromOneBufferJoinAndAreReleased() {
        ByteBuf read = tracking.bytes(bytes(PARSE_COMPLETE, BIND_COMPLETE, READY));
        Frame parse = Frame.of((byte) '1', read, 0, PARSE_COMPLETE.length, 1);
        Frame bind = Frame.of((byte) '2', read, PARSE_COMPLETE.length, BIND_COMPLETE.length, 1);
        Frame made = new Frame((byte) 'Z', tracking.bytes(READY));
        read.release();
        writer.write(parse);
        writer.write(bind);
        writer.write(made);
        writer.flush();
        assertThat(writes()).containsExactly(bytes(PARSE_COMPLETE, BIND_COMPLETE), READY);
    }

    @Test
    void framesOfADerivedBufferAreWrittenOnTheirOwn() {
        ByteBuf read = tracking.bytes(bytes(PARSE_COMPLETE, BIND_COMPLETE));
        ByteBuf derived = read.retainedSlice();
        Frame parse = Frame.of((byte) '1', derived, 0, PARSE_COMPLETE.length, 1);
        Frame bind = Frame.of((byte) '2', derived, PARSE_COMPLETE.length, BIND_COMPLETE.length, 1);
        derived.release();
        read.release();
        writer.write(parse);
        writer.write(bind);
        writer.flush();
        assertThat(writes()).containsExactly(PARSE_COMPLETE, BIND_COMPLETE);
    }

    @Test
    void aRunOverABufferNoOneElseHoldsGoesOutAsThatBufferWithNoSlice() {
        ByteBuf read = tracking.bytes(bytes(PARSE_COMPLETE, BIND_COMPLETE, READY));
        writer.write(read, PARSE_COMPLETE.length, BIND_COMPLETE.length);
        read.release();
        writer.flush();
        ByteBuf out = channel.readOutbound();
        assertThat(out).isSameAs(read);
        assertThat(ByteBufUtil.getBytes(out)).isEqualTo(BIND_COMPLETE);
        out.release();
    }

    @Test
    void aRunOverABufferStillReadElsewhereGoesOutAsASliceLeavingTheBufferAsItWas() {
        ByteBuf read = tracking.bytes(bytes(PARSE_COMPLETE, BIND_COMPLETE, READY));
        writer.write(read, PARSE_COMPLETE.length, BIND_COMPLETE.length);
        writer.flush();
        ByteBuf out = channel.readOutbound();
        assertThat(out).isNotSameAs(read);
        assertThat(ByteBufUtil.getBytes(out)).isEqualTo(BIND_COMPLETE);
        out.release();
        assertThat(ByteBufUtil.getBytes(read)).isEqualTo(bytes(PARSE_COMPLETE, BIND_COMPLETE, READY));
        read.release();
    }

    @Test
    void aDiscardedRunIsReleasedAndNotWritten() {
        ByteBuf read = tracking.bytes(READY);
        writer.write(read, 0, READY.length);
        read.release();
        writer.discard();
        writer.flush();
        assertThat(writes()).isEmpty();
    }

    private List<byte[]> writes() {
        List<byte[]> writes = new ArrayList<>();
        for (ByteBuf out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            writes.add(ByteBufUtil.getBytes(out));
            out.release();
        }
        return writes;
    }
}
