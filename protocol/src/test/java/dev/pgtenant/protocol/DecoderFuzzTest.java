package dev.pgtenant.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.auth.ScramClientExchange;
import dev.pgtenant.protocol.auth.ScramCredentials;
import dev.pgtenant.protocol.auth.ScramServerExchange;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.protocol.codec.Decoding;
import dev.pgtenant.protocol.codec.Direction;
import dev.pgtenant.protocol.codec.FrameDecoder;
import dev.pgtenant.protocol.codec.MessageHandler;
import dev.pgtenant.protocol.codec.MessageScanner;
import dev.pgtenant.protocol.codec.RunWriter;
import dev.pgtenant.protocol.codec.StartupPacketDecoder;
import dev.pgtenant.protocol.message.MessageRoundTripTest;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.frontend.FrontendMessages;
import dev.pgtenant.protocol.message.frontend.FrontendMessages.AuthResponseKind;
import dev.pgtenant.testkit.BufferLeaks;
import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random and mutated byte streams into every decoder. The only failures allowed are the documented
 * ones ({@link ProtocolException}, of which ScramException is one); every buffer is released (exact
 * count by a tracking allocator, and Netty's leak detector at paranoid level).
 */
class DecoderFuzzTest {

    private static final int TRIES = 10_000;

    private static final byte[] FRONTEND_STREAM = concat(MessageRoundTripTest.frontendMessages()
            .map(m -> Wire.encode(m::encode)).toList());
    private static final byte[] BACKEND_STREAM = concat(MessageRoundTripTest.backendMessages()
            .map(m -> Wire.encode(m::encode)).toList());
    private static final byte[] STARTUP_STREAM = concat(MessageRoundTripTest.startupPackets()
            .map(p -> Wire.encode(p::encode)).toList());

    private static final ScramVerifier VERIFIER = ScramVerifier.fromPassword("pencil");
    private static final ScramCredentials PENCIL = ScramCredentials.password("pencil");

    @BeforeContainer
    static void watchLeaks() {
        BufferLeaks.watch();
    }

    @AfterContainer
    static void noLeaks() {
        BufferLeaks.assertNoLeaks();
    }

    @Property(tries = TRIES)
    void randomBytesIntoFrameDecoders(@ForAll @Size(max = 200) byte[] input, @ForAll @IntRange(min = 0, max = 9) int chunk,
                                      @ForAll boolean frontend) {
        decodeFrames(input, chunk, frontend ? Direction.FRONTEND : Direction.BACKEND);
    }

    @Property(tries = TRIES)
    void mutatedMessageStreamsIntoFrameDecoders(@ForAll("seeds") long seed, @ForAll boolean frontend,
                                                @ForAll @IntRange(min = 0, max = 9) int chunk) {
        byte[] input = mutate(frontend ? FRONTEND_STREAM : BACKEND_STREAM, new Random(seed));
        decodeFrames(input, chunk, frontend ? Direction.FRONTEND : Direction.BACKEND);
    }

    /**
     * A relay's path: a scanner that is stopped at random and replaced by a new one given the rest
     * (as a session takes over from its login decoder), every message written through one
     * {@link RunWriter}. What reaches the client is exactly what the frame decoder frames, and an
     * error comes where it does.
     */
    @Property(tries = TRIES)
    void mutatedStreamsRelayedInPlaceAsTheyAreFramed(@ForAll("seeds") long seed, @ForAll @IntRange(min = 1, max = 9) int chunk) {
        Random random = new Random(seed);
        byte[] input = mutate(BACKEND_STREAM, random);
        Decoding.Result framed = Decoding.run(() -> FrameDecoder.mergingRuns(4096), input, chunk);
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel client = new EmbeddedChannel();
        RunWriter writer = new RunWriter(client);
        MessageScanner[] scanner = {MessageScanner.mergingRuns(4096)};
        boolean[] stopped = {false};
        MessageHandler relay = (type, buffer, index, length, count) -> {
            writer.write(buffer, index, length);
            stopped[0] = random.nextInt(4) == 0;
            return !stopped[0];
        };
        ProtocolException error = null;
        for (int offset = 0; offset < input.length && error == null; offset += chunk) {
            ByteBuf piece = tracking.allocator().buffer();
            piece.writeBytes(input, offset, Math.min(chunk, input.length - offset));
            try {
                scanner[0].read(piece, tracking.allocator(), relay);
                while (stopped[0]) {
                    stopped[0] = false;
                    ByteBuf rest = scanner[0].takeKept();
                    scanner[0] = MessageScanner.mergingRuns(4096);
                    if (rest != null) {
                        scanner[0].read(rest, tracking.allocator(), relay);
                    }
                }
            } catch (ProtocolException e) {
                error = e;
            }
        }
        scanner[0].discard();
        byte[] relayed = written(writer, client);
        tracking.assertAllReleased();
        ByteArrayOutputStream framedBytes = new ByteArrayOutputStream();
        framed.outputs().forEach(output -> framedBytes.writeBytes(((Decoding.FrameBytes) output).bytes()));
        assertThat(relayed).isEqualTo(framedBytes.toByteArray());
        assertThat(error == null).isEqualTo(framed.error() == null);
    }

    /**
     * The backend connection's path: a relaying scanner, which hands on DataRow and CopyData that are
     * not whole in a read in parts and puts no limit on their length, every call written through one
     * {@link RunWriter}. What reaches the client is what a plain reading of the stream gives: every
     * whole message, and every DataRow or CopyData byte that arrived, up to the first bad header.
     */
    @Property(tries = TRIES)
    void mutatedStreamsRelayedInParts(@ForAll("seeds") long seed, @ForAll @IntRange(min = 1, max = 9) int chunk) {
        Random random = new Random(seed);
        byte[] input = mutate(BACKEND_STREAM, random);
        TrackingAllocator tracking = new TrackingAllocator();
        EmbeddedChannel client = new EmbeddedChannel();
        RunWriter writer = new RunWriter(client);
        MessageScanner scanner = MessageScanner.relaying(64);
        MessageHandler relay = (type, buffer, index, length, count) -> {
            assertThat(count == 0).as("only DataRow and CopyData come in parts").isEqualTo(count == 0 && (type == 'D' || type == 'd'));
            writer.write(buffer, index, length);
            return true;
        };
        boolean failed = false;
        for (int offset = 0; offset < input.length && !failed; offset += chunk) {
            ByteBuf piece = tracking.allocator().buffer();
            piece.writeBytes(input, offset, Math.min(chunk, input.length - offset));
            try {
                scanner.read(piece, tracking.allocator(), relay);
            } catch (ProtocolException e) {
                failed = true;
            }
        }
        scanner.discard();
        byte[] relayed = written(writer, client);
        tracking.assertAllReleased();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        boolean expectedFailure = readPlainly(input, 64, expected);
        assertThat(relayed).isEqualTo(expected.toByteArray());
        assertThat(failed).isEqualTo(expectedFailure);
    }

    /** Everything {@code writer} wrote to {@code client}, which is then closed. */
    private static byte[] written(RunWriter writer, EmbeddedChannel client) {
        writer.flush();
        ByteArrayOutputStream relayed = new ByteArrayOutputStream();
        for (ByteBuf out = client.readOutbound(); out != null; out = client.readOutbound()) {
            relayed.writeBytes(io.netty.buffer.ByteBufUtil.getBytes(out));
            out.release();
        }
        client.finishAndReleaseAll();
        return relayed.toByteArray();
    }

    /** The bytes a relaying scanner hands on, by the protocol's rules read directly; returns whether a header is bad. */
    private static boolean readPlainly(byte[] input, int maxMessageSize, ByteArrayOutputStream out) {
        int at = 0;
        while (input.length - at >= 5) {
            byte type = input[at];
            long length = java.nio.ByteBuffer.wrap(input, at + 1, 4).getInt();
            boolean streamed = type == 'D' || type == 'd';
            if (!Direction.BACKEND.isKnownType(type) || length < 4 || (!streamed && length + 1 > maxMessageSize)) {
                return true;
            }
            long available = input.length - at;
            if (available < length + 1) {
                if (streamed) {
                    out.write(input, at, (int) available);
                }
                return false;
            }
            out.write(input, at, (int) length + 1);
            at += (int) length + 1;
        }
        return false;
    }

    @Property(tries = TRIES)
    void randomAndMutatedStartupPackets(@ForAll("seeds") long seed, @ForAll @IntRange(min = 0, max = 9) int chunk) {
        Random random = new Random(seed);
        byte[] input = random.nextBoolean() ? mutate(STARTUP_STREAM, random) : randomBytes(random, 64);
        Decoding.Result result = Decoding.run(StartupPacketDecoder::new, input, chunk);
        assertDocumented(result.error());
    }

    @Property(tries = TRIES)
    void mutatedBodiesIntoTypedDecoders(@ForAll("seeds") long seed) {
        Random random = new Random(seed);
        boolean frontend = random.nextBoolean();
        List<byte[]> messages = (frontend ? MessageRoundTripTest.frontendMessages().map(m -> Wire.encode(m::encode))
                : MessageRoundTripTest.backendMessages().map(m -> Wire.encode(m::encode))).toList();
        byte[] message = messages.get(random.nextInt(messages.size()));
        byte type = random.nextInt(8) == 0 ? (byte) random.nextInt(256) : message[0];
        byte[] body = mutate(java.util.Arrays.copyOfRange(message, 5, message.length), random);
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            if (frontend) {
                FrontendMessages.decode(type, buf, AuthResponseKind.values()[random.nextInt(3)]);
            } else {
                BackendMessages.decode(type, buf);
            }
        } catch (RuntimeException e) {
            assertDocumented(e);
        } finally {
            buf.release();
        }
    }

    @Property(tries = TRIES)
    void mutatedScramMessages(@ForAll("seeds") long seed) {
        Random random = new Random(seed);
        ScramServerExchange server = ScramServerExchange.forVerifier(VERIFIER);
        ScramClientExchange client = new ScramClientExchange(PENCIL);
        int step = random.nextInt(4);
        try {
            ByteString clientFirst = client.clientFirstMessage();
            if (step == 0) {
                server.handleClientFirst(mutate(clientFirst, random));
                return;
            }
            ByteString serverFirst = server.handleClientFirst(clientFirst);
            if (step == 1) {
                client.handleServerFirst(mutate(serverFirst, random));
                return;
            }
            ByteString clientFinal = client.handleServerFirst(serverFirst);
            if (step == 2) {
                server.handleClientFinal(mutate(clientFinal, random));
                return;
            }
            client.handleServerFinal(mutate(server.handleClientFinal(clientFinal), random));
        } catch (RuntimeException e) {
            assertDocumented(e);
        }
    }

    @Provide
    Arbitrary<Long> seeds() {
        return Arbitraries.longs();
    }

    private static void decodeFrames(byte[] input, int chunk, Direction direction) {
        Decoding.Result result = Decoding.run(() -> new FrameDecoder(direction, 4096), input, chunk);
        assertDocumented(result.error());
        if (direction == Direction.BACKEND) {
            assertSameMessagesInRuns(result, Decoding.run(() -> FrameDecoder.mergingRuns(4096), input, chunk));
        }
        for (Object output : result.outputs()) {
            Decoding.FrameBytes frame = (Decoding.FrameBytes) output;
            ByteBuf body = Unpooled.wrappedBuffer(frame.bytes(), 5, frame.bytes().length - 5);
            try {
                if (direction == Direction.FRONTEND) {
                    FrontendMessages.decode(frame.type(), body, AuthResponseKind.PASSWORD);
                } else {
                    BackendMessages.decode(frame.type(), body);
                }
            } catch (RuntimeException e) {
                assertDocumented(e);
            } finally {
                body.release();
            }
        }
    }

    /** Merging runs changes how messages are grouped into frames, never which bytes pass or what fails. */
    private static void assertSameMessagesInRuns(Decoding.Result single, Decoding.Result merged) {
        assertDocumented(merged.error());
        assertThat(merged.error() == null).isEqualTo(single.error() == null);
        java.io.ByteArrayOutputStream singleBytes = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream mergedBytes = new java.io.ByteArrayOutputStream();
        single.outputs().forEach(output -> singleBytes.writeBytes(((Decoding.FrameBytes) output).bytes()));
        merged.outputs().forEach(output -> mergedBytes.writeBytes(((Decoding.FrameBytes) output).bytes()));
        assertThat(mergedBytes.toByteArray()).isEqualTo(singleBytes.toByteArray());
        assertThat(merged.outputs().stream().mapToInt(output -> ((Decoding.FrameBytes) output).count()).sum())
                .isEqualTo(single.outputs().size());
    }

    private static void assertDocumented(Throwable error) {
        if (error != null && !(error instanceof ProtocolException)) {
            throw new AssertionError("undocumented exception " + error, error);
        }
        if (error != null) {
            assertThat(((ProtocolException) error).sqlState()).isNotNull();
            assertThat(error.getMessage()).isNotBlank();
        }
    }

    private static ByteString mutate(ByteString message, Random random) {
        if (random.nextInt(10) == 0) {
            return random.nextBoolean() ? null : ByteString.copyOf(randomBytes(random, 80));
        }
        byte[] bytes = mutate(message.toByteArray(), random);
        if (random.nextBoolean()) {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            String[] pieces = {",", "=", "r=", "p=", "s=", "i=", "m=x", "a=b", "n,,", "y,,", "e=no", "=2C", "99999999999"};
            int at = random.nextInt(text.length() + 1);
            text = text.substring(0, at) + pieces[random.nextInt(pieces.length)] + text.substring(at);
            bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        }
        return ByteString.copyOf(bytes);
    }

    /** A few random edits: flip, overwrite with a boundary value, insert, delete, truncate. */
    private static byte[] mutate(byte[] original, Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(original);
        byte[] bytes = out.toByteArray();
        int edits = 1 + random.nextInt(4);
        for (int i = 0; i < edits && bytes.length > 0; i++) {
            int at = random.nextInt(bytes.length);
            switch (random.nextInt(5)) {
                case 0 -> bytes[at] ^= (byte) (1 << random.nextInt(8));
                case 1 -> bytes[at] = new byte[] {0, -1, 0x7F, (byte) 0x80, 4, 5}[random.nextInt(6)];
                case 2 -> bytes = splice(bytes, at, 0, randomBytes(random, 1 + random.nextInt(6)));
                case 3 -> bytes = splice(bytes, at, Math.min(bytes.length - at, 1 + random.nextInt(6)), new byte[0]);
                default -> bytes = java.util.Arrays.copyOf(bytes, at);
            }
        }
        return bytes;
    }

    private static byte[] splice(byte[] bytes, int at, int remove, byte[] insert) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(bytes, 0, at);
        out.writeBytes(insert);
        out.write(bytes, at + remove, bytes.length - at - remove);
        return out.toByteArray();
    }

    private static byte[] randomBytes(Random random, int max) {
        byte[] bytes = new byte[random.nextInt(max + 1)];
        random.nextBytes(bytes);
        return bytes;
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
