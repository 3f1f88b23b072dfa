package dev.pgtenant.protocol.codec;

import static dev.pgtenant.protocol.Wire.bytes;
import static dev.pgtenant.protocol.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.testkit.BufferLeaks;
import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.io.ByteArrayOutputStream;
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
        } catch (DecoderException e) {
            assertThat(e.getCause()).isInstanceOf(dev.pgtenant.protocol.ProtocolException.class)
                    .hasMessageContaining("over the limit of 1024 bytes");
            assertThat(((dev.pgtenant.protocol.ProtocolException) e.getCause()).sqlState())
                    .isEqualTo(SqlState.PROGRAM_LIMIT_EXCEEDED);
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
        channel.writeInbound(tracking.bytes(bytes('D', FrameDecoder.DEFAULT_MAX_MESSAGE_SIZE - 1, (short) 1)));
        Object nothing = channel.readInbound();
        assertThat(nothing).isNull();
        assertThat(tracking.outstandingBytes()).isLessThan(1024);
        assertThat(channel.finishAndReleaseAll()).isFalse();
        tracking.assertAllReleased();
    }

    @Test
    void truncatedFrameProducesNothingAndIsReleased() {
        byte[] truncated = java.util.Arrays.copyOf(message('C', "SELECT 1"), 7);
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

    private static Decoding.Result backend(byte[] input, int chunkSize) {
        return Decoding.run(() -> new FrameDecoder(Direction.BACKEND), input, chunkSize);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List.of(parts).forEach(out::writeBytes);
        return out.toByteArray();
    }
}
