package dev.pgtenant.bench;

import dev.pgtenant.protocol.codec.MessageHandler;
import dev.pgtenant.protocol.codec.MessageScanner;
import dev.pgtenant.protocol.codec.RunWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The relay's hot path: a backend's read scanned in place by the backend connections'
 * {@link MessageScanner#mergingRuns} scanner and every message forwarded through the client's
 * {@link RunWriter}, as the relay does, then flushed once per read. Two shapes of read:
 * {@link #result}, a DataRow-heavy result (510 rows, CommandComplete and ReadyForQuery), and
 * {@link #transaction}, the reply to one extended-query transaction of {@code pgbench -S}
 * (ParseComplete, BindComplete, RowDescription, one DataRow, CommandComplete, ReadyForQuery). One
 * operation is one relayed message; run with {@code -prof gc} to see the bytes allocated per
 * message (bench/jmh.sh does).
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RelayBenchmark {

    static final int RESULT_MESSAGES = 512;
    static final int TRANSACTION_MESSAGES = 6;

    @State(Scope.Thread)
    public static class Result extends Relay {
        @Param({"64", "1024"})
        int rowBytes;

        @Override
        void writeRead(ByteBuf read) {
            for (int i = 0; i < RESULT_MESSAGES - 2; i++) {
                read.writeByte('D').writeInt(4 + 2 + 4 + rowBytes).writeShort(1).writeInt(rowBytes).writeZero(rowBytes);
            }
            read.writeByte('C').writeInt(4 + 11).writeBytes(ascii("SELECT 510\0"));
            read.writeByte('Z').writeInt(5).writeByte('I');
        }
    }

    @State(Scope.Thread)
    public static class Transaction extends Relay {
        @Override
        void writeRead(ByteBuf read) {
            read.writeByte('1').writeInt(4);
            read.writeByte('2').writeInt(4);
            read.writeByte('T').writeInt(4 + 2 + 9 + 18).writeShort(1).writeBytes(ascii("abalance\0"))
                    .writeInt(16384).writeShort(3).writeInt(23).writeShort(4).writeInt(-1).writeShort(0);
            read.writeByte('D').writeInt(4 + 2 + 4 + 4).writeShort(1).writeInt(4).writeBytes(ascii("4242"));
            read.writeByte('C').writeInt(4 + 9).writeBytes(ascii("SELECT 1\0"));
            read.writeByte('Z').writeInt(5).writeByte('I');
        }
    }

    @Benchmark
    @OperationsPerInvocation(RESULT_MESSAGES)
    public void result(Result relay, Blackhole sink) {
        relay.relayOneRead(sink);
    }

    @Benchmark
    @OperationsPerInvocation(TRANSACTION_MESSAGES)
    public void transaction(Transaction relay, Blackhole sink) {
        relay.relayOneRead(sink);
    }

    /** A backend channel whose reads are relayed to a client channel, and the read it is given each time. */
    abstract static class Relay {
        private ByteBuf read;
        private EmbeddedChannel backend;
        private EmbeddedChannel client;

        abstract void writeRead(ByteBuf read);

        @Setup(Level.Trial)
        public void setUp() {
            read = PooledByteBufAllocator.DEFAULT.directBuffer();
            writeRead(read);
            client = new EmbeddedChannel();
            client.config().setAllocator(PooledByteBufAllocator.DEFAULT);
            RunWriter toClient = new RunWriter(client);
            MessageScanner scanner = MessageScanner.mergingRuns(MessageScanner.DEFAULT_MAX_MESSAGE_SIZE);
            MessageHandler forward = (type, buffer, index, length, count) -> {
                toClient.write(buffer, index, length);
                return true;
            };
            backend = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    scanner.read((ByteBuf) msg, ctx.alloc(), forward);
                }

                @Override
                public void channelReadComplete(ChannelHandlerContext ctx) {
                    toClient.flush();
                }
            });
            backend.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        }

        void relayOneRead(Blackhole sink) {
            backend.writeInbound(read.retainedDuplicate());
            for (Object message; (message = client.readOutbound()) != null; ) {
                sink.consume(message);
                ((ByteBuf) message).release();
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            backend.finishAndReleaseAll();
            client.finishAndReleaseAll();
            read.release();
        }
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
