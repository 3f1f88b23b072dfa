package dev.pgtenant.protocol.codec;

import static dev.pgtenant.protocol.Wire.bytes;
import static dev.pgtenant.protocol.Wire.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.testkit.BufferLeaks;
import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MessageScannerTest {

    private static final byte[] READ = bytes(message('1'), message('2'), message('D', (short) 0), message('D', (short) 0),
            message('C', "SELECT 2"), message('Z', 'I'));

    private final TrackingAllocator tracking = new TrackingAllocator();

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
        tracking.assertAllReleased();
    }

    private record Seen(char type, ByteBuf buffer, int index, int length, int count) {
    }

    @Test
    void messagesAreHandedOnWhereTheyLieInTheRead() {
        List<Seen> seen = new ArrayList<>();
        ByteBuf read = tracking.bytes(READ);
        MessageScanner.mergingRuns(1024).read(read, tracking.allocator(), (type, buffer, index, length, count) -> {
            assertThat(buffer.getByte(index)).isEqualTo(type);
            seen.add(new Seen((char) type, buffer, index, length, count));
            return true;
        });
        assertThat(seen).extracting(Seen::type).containsExactly('1', '2', 'D', 'C', 'Z');
        assertThat(seen).extracting(Seen::buffer).containsOnly(read);
        assertThat(seen).extracting(Seen::index).containsExactly(0, 5, 10, 24, 38);
        assertThat(seen.get(2).count()).as("the two rows as one run").isEqualTo(2);
        assertThat(read.refCnt()).isZero();
    }

    @Test
    void aHandlerThatStopsLeavesTheRestToBeTaken() {
        MessageScanner scanner = new MessageScanner(Direction.BACKEND, 1024);
        List<Character> seen = new ArrayList<>();
        scanner.read(tracking.bytes(READ), tracking.allocator(), (type, buffer, index, length, count) -> {
            seen.add((char) type);
            return type != '2';
        });
        assertThat(seen).containsExactly('1', '2');
        ByteBuf rest = scanner.takeKept();
        try {
            assertThat(ByteBufUtil.getBytes(rest)).isEqualTo(java.util.Arrays.copyOfRange(READ, 10, READ.length));
        } finally {
            rest.release();
        }
        assertThat(scanner.takeKept()).isNull();
    }

    @Test
    void aMessageSplitAcrossReadsIsHandedOnWholeOnceItsLastByteArrives() {
        MessageScanner scanner = new MessageScanner(Direction.BACKEND, 1024);
        ByteArrayOutputStream handed = new ByteArrayOutputStream();
        for (int offset = 0; offset < READ.length; offset += 3) {
            ByteBuf piece = tracking.allocator().buffer(3);
            piece.writeBytes(READ, offset, Math.min(3, READ.length - offset));
            scanner.read(piece, tracking.allocator(), (type, buffer, index, length, count) -> {
                handed.writeBytes(ByteBufUtil.getBytes(buffer, index, length));
                return true;
            });
        }
        assertThat(handed.toByteArray()).isEqualTo(READ);
        assertThat(scanner.takeKept()).isNull();
    }

    /**
     * A relay's run may still hold the start of the buffer the scanner keeps for a message cut in
     * two; the next read is appended to that buffer when it has room, and moved to a new one when
     * not, which releases the kept one while the run holds it. Either way the run's bytes, and the
     * message that joins the run, go out as they came.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aRunOverTheKeptBufferSurvivesTheNextRead(boolean roomToAppend) {
        io.netty.channel.embedded.EmbeddedChannel client = new io.netty.channel.embedded.EmbeddedChannel();
        RunWriter writer = new RunWriter(client);
        MessageScanner scanner = MessageScanner.mergingRuns(1024);
        MessageHandler relay = (type, buffer, index, length, count) -> {
            writer.write(buffer, index, length);
            return true;
        };
        int cut = 12;
        ByteBuf first = roomToAppend ? tracking.allocator().buffer(READ.length) : tracking.allocator().buffer(cut, cut);
        first.writeBytes(READ, 0, cut);
        scanner.read(first, tracking.allocator(), relay);
        ByteBuf second = tracking.allocator().buffer(READ.length - cut);
        second.writeBytes(READ, cut, READ.length - cut);
        scanner.read(second, tracking.allocator(), relay);
        writer.flush();
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        List<Integer> writes = new ArrayList<>();
        for (ByteBuf out = client.readOutbound(); out != null; out = client.readOutbound()) {
            writes.add(out.readableBytes());
            sent.writeBytes(ByteBufUtil.getBytes(out));
            out.release();
        }
        assertThat(sent.toByteArray()).isEqualTo(READ);
        assertThat(writes).as("one run when the read was appended in place, two when it was moved")
                .hasSize(roomToAppend ? 1 : 2);
        assertThat(scanner.takeKept()).isNull();
        client.finishAndReleaseAll();
    }

    @Test
    void afterABadHeaderEverythingIsDiscarded() {
        MessageScanner scanner = new MessageScanner(Direction.BACKEND, 1024);
        List<Character> seen = new ArrayList<>();
        MessageHandler handler = (type, buffer, index, length, count) -> seen.add((char) type);
        assertThatThrownBy(() -> scanner.read(tracking.bytes(bytes(message('1'), new byte[] {'Q', 0, 0, 0, 4})),
                tracking.allocator(), handler)).isInstanceOf(ProtocolException.class).hasMessageContaining("'Q'");
        scanner.read(tracking.bytes(message('2')), tracking.allocator(), handler);
        assertThat(seen).containsExactly('1');
        assertThat(scanner.takeKept()).isNull();
    }

    /**
     * A relaying scanner hands on a DataRow longer than its limit as it arrives, header first, and
     * the messages after it whole: nothing of the row is gathered.
     */
    @Test
    void aRelayingScannerHandsOnALargeRowInPartsAsItArrives() {
        byte[] row = new byte[5000];
        java.util.Arrays.fill(row, (byte) 'x');
        byte[] stream = bytes(message('D', (short) 1, row.length, row), message('C', "SELECT 1"), message('Z', 'I'));
        int rowLength = 5 + 2 + 4 + row.length;
        MessageScanner scanner = MessageScanner.relaying(1024);
        List<Seen> seen = new ArrayList<>();
        ByteArrayOutputStream handed = new ByteArrayOutputStream();
        long mostHeld = 0;
        for (int offset = 0; offset < stream.length; offset += 700) {
            ByteBuf piece = tracking.allocator().buffer(700);
            piece.writeBytes(stream, offset, Math.min(700, stream.length - offset));
            scanner.read(piece, tracking.allocator(), (type, buffer, index, length, count) -> {
                seen.add(new Seen((char) type, null, index, length, count));
                handed.writeBytes(ByteBufUtil.getBytes(buffer, index, length));
                return true;
            });
            mostHeld = Math.max(mostHeld, tracking.outstandingBytes());
        }
        assertThat(handed.toByteArray()).isEqualTo(stream);
        List<Seen> parts = seen.stream().filter(s -> s.count() == 0).toList();
        assertThat(parts).extracting(Seen::type).containsOnly('D');
        assertThat(parts.stream().mapToInt(Seen::length).sum()).isEqualTo(rowLength);
        assertThat(parts).hasSize((rowLength + 699) / 700);
        assertThat(seen.subList(parts.size(), seen.size())).extracting(Seen::type, Seen::count)
                .containsExactly(org.assertj.core.groups.Tuple.tuple('C', 1), org.assertj.core.groups.Tuple.tuple('Z', 1));
        assertThat(mostHeld).as("bytes held between reads").isZero();
        assertThat(scanner.takeKept()).isNull();
    }

    @Test
    void aRelayingScannerStillLimitsEveryOtherMessage() {
        MessageScanner scanner = MessageScanner.relaying(1024);
        byte[] error = message('E', (byte) 'M', "x".repeat(2000), (byte) 0, (byte) 0);
        assertThatThrownBy(() -> scanner.read(tracking.bytes(java.util.Arrays.copyOf(error, 100)), tracking.allocator(),
                (type, buffer, index, length, count) -> true))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("over the limit of 1024 bytes");
    }

    /** A row cut off for good, as when the server goes away mid-row: what is handed on is all there was, and nothing is held. */
    @Test
    void aRowThatNeverEndsLeavesNothingHeld() {
        MessageScanner scanner = MessageScanner.relaying(1024);
        List<Integer> lengths = new ArrayList<>();
        MessageHandler handler = (type, buffer, index, length, count) -> {
            lengths.add(length);
            return true;
        };
        scanner.read(tracking.bytes(new byte[] {'d', 0x7f, 0, 0, 0, 1, 2, 3}), tracking.allocator(), handler);
        scanner.read(tracking.bytes(new byte[] {4, 5}), tracking.allocator(), handler);
        assertThat(lengths).containsExactly(8, 2);
        assertThat(tracking.outstandingBytes()).as("bytes held").isZero();
        assertThatThrownBy(scanner::takeKept).as("no reader could go on in the middle of the row")
                .isInstanceOf(IllegalStateException.class);
        scanner.discard();
    }
}
