package dev.pgtenant.protocol.codec;

import static dev.pgtenant.protocol.Wire.bytes;
import static dev.pgtenant.protocol.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.testkit.BufferLeaks;
import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FrameDecoderTest {

    private static final byte[] STREAM = concat(
            message('1'),
            message('2'),
            message('T', (short) 1, "n", 0, (short) 0, 25, (short) -1, -1, (short) 0),
            message('D', (short) 1, 2, new byte[] {'4', '2'}),
            message('C', "SELECT 1"),
            message('Z', 'I'));

    @BeforeAll
    static void watchLeaks() {
        BufferLeaks.watch();
    }

    @AfterAll
    static void noLeaks() {
        BufferLeaks.assertNoLeaks();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 7, 64})
    void fragmentsDecodeToTheSameFramesAsTheWhole(int chunkSize) {
        Decoding.Result whole = backend(STREAM, 0);
        Decoding.Result pieces = backend(STREAM, chunkSize);
        assertThat(whole.error()).isNull();
        assertThat(whole.outputs()).hasSize(6);
        assertThat(pieces.outputs()).isEqualTo(whole.outputs());
        assertThat(pieces.error()).isNull();
    }

    @Test
    void framesCarryTheWholeMessageUnchanged() {
        Decoding.Result result = backend(STREAM, 0);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        result.outputs().forEach(o -> joined.writeBytes(((Decoding.FrameBytes) o).bytes()));
        assertThat(joined.toByteArray()).isEqualTo(STREAM);
    }

    @Test
    void lengthBelowTheMinimumIsRejected() {
        Decoding.Result result = backend(bytes('Z', 3, 'I'), 0);
        assertThat(result.protocolError().sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION);
        assertThat(result.protocolError()).hasMessageContaining("invalid message length 3");
    }

    @Test
    void negativeLengthIsRejected() {
        Decoding.Result result = backend(bytes('D', 0xFFFFFFF0, 1, 2, 3), 0);
        assertThat(result.protocolError()).hasMessageContaining("-16");
        assertThat(result.outputs()).isEmpty();
    }

    @Test
    void lengthOverTheMaximumIsRejectedBeforeTheBodyArrives() {
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(Direction.FRONTEND, 1024));
        channel.config().setAllocator(tracking.allocator());
        ByteBuf header = tracking.bytes(bytes('Q', 1024));
        try {
            channel.writeInbound(header);
            throw new AssertionError("the header of an oversized message was accepted");
        } catch (dev.pgtenant.protocol.ProtocolException e) {
            assertThat(e).hasMessageContaining("over the limit of 1024 bytes");
            assertThat(e.sqlState()).isEqualTo(SqlState.PROGRAM_LIMIT_EXCEEDED);
        }
        assertThat(channel.finishAndReleaseAll()).isFalse();
        tracking.assertAllReleased();
    }

    @Test
    void aMessageOfExactlyTheMaximumIsAccepted() {
        byte[] query = message('Q', "x".repeat(1024 - 6));
        assertThat(query).hasSize(1024);
        Decoding.Result result = Decoding.run(() -> new FrameDecoder(Direction.FRONTEND, 1024), query, 100);
        assertThat(result.error()).isNull();
        assertThat(result.outputs()).hasSize(1);
    }

    @Test
    void aHugeDeclaredLengthAllocatesNothingBeforeTheBytesArrive() {
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel(new FrameDecoder(Direction.BACKEND));
        channel.config().setAllocator(tracking.allocator());
        channel.writeInbound(tracking.bytes(bytes('D', MessageScanner.DEFAULT_MAX_MESSAGE_SIZE - 1, (short) 1)));
        Object nothing = channel.readInbound();
        assertThat(nothing).isNull();
        assertThat(tracking.outstandingBytes()).isLessThan(1024);
        assertThat(channel.finishAndReleaseAll()).isFalse();
        tracking.assertAllReleased();
    }

    @Test
    void truncatedFrameProducesNothingAndIsReleased() {
        byte[] truncated = Arrays.copyOf(message('C', "SELECT 1"), 7);
        Decoding.Result result = backend(truncated, 1);
        assertThat(result.outputs()).isEmpty();
        assertThat(result.error()).isNull();
        assertThat(result.pendingInput()).isTrue();
    }

    @Test
    void unknownMessageTypesAreRejectedPerDirection() {
        assertThat(backend(message('Q', "SELECT 1"), 0).protocolError())
                .hasMessageContaining("invalid backend message type 'Q'");
        assertThat(Decoding.run(() -> new FrameDecoder(Direction.FRONTEND), message('Z', 'I'), 0).protocolError())
                .hasMessageContaining("invalid frontend message type 'Z'");
        assertThat(backend(bytes((byte) 0xC8, 4), 0).protocolError()).hasMessageContaining("0xc8");
    }

    @Test
    void everythingAfterAnErrorIsDiscarded() {
        byte[] input = concat(message('1'), bytes('1', 2), message('2'), message('3'));
        Decoding.Result result = backend(input, 3);
        assertThat(result.outputs()).hasSize(1);
        assertThat(result.error()).isNotNull();
    }

    @Test
    void frameBodyIsTheMessageWithoutItsHeader() {
        TrackingAllocator tracking = new TrackingAllocator();
        Frame frame = new Frame((byte) 'C', tracking.bytes(message('C', "SELECT 1")));
        Frame copy = frame.replace(frame.content().retainedDuplicate());
        try {
            assertThat(frame.body().readableBytes()).isEqualTo(9);
            assertThat(frame.body().toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("SELECT 1\0");
            assertThat(copy.type()).isEqualTo((byte) 'C');
        } finally {
            copy.release();
            frame.release();
        }
        tracking.assertAllReleased();
    }

    private static final byte[] ROWS = concat(
            message('T', (short) 1, "n", 0, (short) 0, 25, (short) -1, -1, (short) 0),
            message('D', (short) 1, 1, new byte[] {'1'}),
            message('D', (short) 1, 2, new byte[] {'2', '2'}),
            message('D', (short) 1, -1),
            message('D', (short) 1, 3, new byte[] {'3', '3', '3'}),
            message('C', "SELECT 4"),
            message('d', "a\tb\n"),
            message('d', "c\td\n"),
            message('c'),
            message('Z', 'I'));

    @Test
    void runsOfRowsAndCopyDataComeAsOneFrameEach() {
        Decoding.Result result = Decoding.run(() -> FrameDecoder.mergingRuns(4096), ROWS, 0);
        assertThat(result.error()).isNull();
        assertThat(result.outputs()).extracting(o -> (char) ((Decoding.FrameBytes) o).type() + "x" + ((Decoding.FrameBytes) o).count())
                .containsExactly("Tx1", "Dx4", "Cx1", "dx2", "cx1", "Zx1");
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        result.outputs().forEach(o -> joined.writeBytes(((Decoding.FrameBytes) o).bytes()));
        assertThat(joined.toByteArray()).isEqualTo(ROWS);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 7, 11, 64})
    void aRunHoldsOnlyWholeMessagesWhateverTheFragments(int chunkSize) {
        Decoding.Result result = Decoding.run(() -> FrameDecoder.mergingRuns(4096), ROWS, chunkSize);
        assertThat(result.error()).isNull();
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        int rows = 0;
        for (Object output : result.outputs()) {
            Decoding.FrameBytes frame = (Decoding.FrameBytes) output;
            joined.writeBytes(frame.bytes());
            java.nio.ByteBuffer messages = java.nio.ByteBuffer.wrap(frame.bytes());
            int count = 0;
            while (messages.hasRemaining()) {
                assertThat(messages.get()).isEqualTo(frame.type());
                messages.position(messages.position() + messages.getInt());
                count++;
            }
            assertThat(count).isEqualTo(frame.count());
            rows += frame.type() == 'D' ? count : 0;
        }
        assertThat(joined.toByteArray()).isEqualTo(ROWS);
        assertThat(rows).isEqualTo(4);
    }

    @Test
    void aBadMessageEndsTheRunBeforeItAndFailsOnItsOwn() {
        byte[] lyingLength = concat(message('D', (short) 0), message('D', (short) 0), bytes('D', 2, (short) 0));
        Decoding.Result lying = Decoding.run(() -> FrameDecoder.mergingRuns(4096), lyingLength, 0);
        assertThat(lying.outputs()).extracting(o -> ((Decoding.FrameBytes) o).count()).containsExactly(2);
        assertThat(lying.protocolError()).hasMessageContaining("invalid message length 2");

        byte[] oversized = concat(message('D', (short) 0), bytes('D', 4096, (short) 0));
        Decoding.Result tooBig = Decoding.run(() -> FrameDecoder.mergingRuns(4096), oversized, 0);
        assertThat(tooBig.outputs()).extracting(o -> ((Decoding.FrameBytes) o).count()).containsExactly(1);
        assertThat(tooBig.protocolError().sqlState()).isEqualTo(SqlState.PROGRAM_LIMIT_EXCEEDED);
    }

    @Test
    void onlyAMergingDecoderMergesAndARunHasNoSingleBody() {
        assertThat(backend(ROWS, 0).outputs()).hasSize(10);
        TrackingAllocator tracking = new TrackingAllocator();
        Frame run = new Frame((byte) 'D', tracking.bytes(concat(message('D', (short) 0), message('D', (short) 0))), 2);
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(run::body).isInstanceOf(IllegalStateException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.pgtenant.protocol.message.backend.BackendMessages.decode(run))
                    .isInstanceOf(dev.pgtenant.protocol.ProtocolException.class).hasMessageContaining("run of 2");
            assertThat(run.replace(run.content().retain()).count()).isEqualTo(2);
            run.content().release();
        } finally {
            run.release();
        }
        tracking.assertAllReleased();
    }

    /**
     * A relay holds each read's frames until its flush, past the end of the read, and lets them go
     * before the next. Netty's merging cumulator then grew its buffer by every read, keeping all the
     * bytes decoded before: here to 2 MB of live memory, for 8 KB in flight.
     */
    @Test
    void framesHeldUntilTheNextReadDoNotGrowTheBuffer() {
        byte[] row = message('D', (short) 1, 990, new byte[990]);
        byte[] rows = concat(Collections.nCopies(1600, row).toArray(byte[][]::new));
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(tracking.allocator());
        channel.pipeline().addLast(FrameDecoder.mergingRuns(4096));
        ByteArrayOutputStream relayed = new ByteArrayOutputStream();
        long mostLive = 0;
        try {
            for (int offset = 0; offset < rows.length; offset += 8192) {
                ByteBuf chunk = tracking.allocator().buffer();
                chunk.writeBytes(rows, offset, Math.min(8192, rows.length - offset));
                channel.writeInbound(chunk);
                mostLive = Math.max(mostLive, tracking.outstandingBytes());
                for (Frame frame = channel.readInbound(); frame != null; frame = channel.readInbound()) {
                    relayed.writeBytes(ByteBufUtil.getBytes(frame.content()));
                    frame.release();
                }
            }
        } finally {
            channel.finishAndReleaseAll();
        }
        assertThat(relayed.toByteArray()).isEqualTo(rows);
        assertThat(mostLive).isLessThan(4 * 8192);
        tracking.assertAllReleased();
    }

    @Test
    void removedWhilePassingOnAFrameItHandsTheRestToTheNextHandler() {
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(tracking.allocator());
        channel.pipeline().addLast("frames", new FrameDecoder(Direction.BACKEND));
        List<String> seen = new java.util.ArrayList<>();
        channel.pipeline().addLast(new io.netty.channel.ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Frame frame) {
                    seen.add("frame " + (char) frame.type());
                    frame.release();
                    ctx.pipeline().remove("frames");
                } else {
                    ByteBuf rest = (ByteBuf) msg;
                    seen.add("bytes " + ByteBufUtil.hexDump(rest));
                    rest.release();
                }
            }
        });
        channel.writeInbound(tracking.bytes(concat(message('1'), message('2'), message('Z', 'I'))));
        assertThat(seen).containsExactly("frame 1", "bytes " + ByteBufUtil.hexDump(concat(message('2'), message('Z', 'I'))));
        channel.finishAndReleaseAll();
        tracking.assertAllReleased();
    }

    @Test
    void aLargeMessageInSmallPiecesIsGatheredWhole() {
        byte[] large = concat(message('D', (short) 1, 300_000, new byte[300_000]), message('Z', 'I'));
        for (int i = 11; i < large.length - 6; i += 7) {
            large[i] = (byte) i;
        }
        Decoding.Result result = Decoding.run(() -> FrameDecoder.mergingRuns(1 << 20), large, 1000);
        assertThat(result.error()).isNull();
        assertThat(result.outputs()).hasSize(2);
        assertThat(((Decoding.FrameBytes) result.outputs().get(0)).bytes())
                .isEqualTo(Arrays.copyOf(large, large.length - 6));
    }

    @Test
    void aDeclaredLengthCostsNothingUntilItsBytesArrive() {
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAllocator(tracking.allocator());
        channel.pipeline().addLast(new FrameDecoder(Direction.FRONTEND));
        try {
            channel.writeInbound(tracking.bytes(bytes('Q', 32 * 1024 * 1024)));
            channel.writeInbound(tracking.bytes(new byte[1000]));
            assertThat(tracking.outstandingBytes()).isLessThan(4 * 1024);
            assertThat((Object) channel.readInbound()).isNull();
        } finally {
            channel.finishAndReleaseAll();
        }
        tracking.assertAllReleased();
    }

    private static Decoding.Result backend(byte[] input, int chunkSize) {
        return Decoding.run(() -> new FrameDecoder(Direction.BACKEND), input, chunkSize);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List.of(parts).forEach(out::writeBytes);
        return out.toByteArray();
    }
}
