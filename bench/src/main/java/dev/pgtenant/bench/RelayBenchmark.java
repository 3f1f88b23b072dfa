package dev.pgtenant.bench;

import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.FrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
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

/**
 * The relay's hot path for DataRow-heavy traffic: a backend's read buffer framed by the backend
 * connections' {@link FrameDecoder#mergingRuns} decoder and every frame forwarded to the client
 * channel with a void promise, as the relay does, then flushed once per read. One operation is one relayed message; run with {@code -prof gc} to see the
 * bytes allocated per message (bench/jmh.sh does).
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@OperationsPerInvocation(RelayBenchmark.MESSAGES)
public class RelayBenchmark {

    /** Messages per backend read: a result of this many rows plus CommandComplete and ReadyForQuery. */
    static final int MESSAGES = 512;

    @Param({"64", "1024"})
    int rowBytes;

    private ByteBuf read;
    private EmbeddedChannel backend;
    private EmbeddedChannel client;

    @Setup(Level.Trial)
    public void setUp() {
        read = PooledByteBufAllocator.DEFAULT.directBuffer();
        for (int i = 0; i < MESSAGES - 2; i++) {
            read.writeByte('D').writeInt(4 + 2 + 4 + rowBytes).writeShort(1).writeInt(rowBytes).writeZero(rowBytes);
        }
        read.writeByte('C').writeInt(4 + 11).writeBytes("SELECT 510\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        read.writeByte('Z').writeInt(5).writeByte('I');
        client = new EmbeddedChannel();
        client.config().setAllocator(PooledByteBufAllocator.DEFAULT);
        backend = new EmbeddedChannel(FrameDecoder.mergingRuns(FrameDecoder.DEFAULT_MAX_MESSAGE_SIZE), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                client.write(((Frame) msg).content(), client.voidPromise());
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                client.flush();
            }
        });
        backend.config().setAllocator(PooledByteBufAllocator.DEFAULT);
    }

    @Benchmark
    public int relayOneRead() {
        backend.writeInbound(read.retainedDuplicate());
        int forwarded = 0;
        for (Object message; (message = client.readOutbound()) != null; forwarded++) {
            ((ByteBuf) message).release();
        }
        return forwarded;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.finishAndReleaseAll();
        client.finishAndReleaseAll();
        read.release();
    }
}
