package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.frontend.Bind;
import dev.pgtenant.protocol.message.frontend.Describe;
import dev.pgtenant.protocol.message.frontend.Execute;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.PortalOrStatement;
import dev.pgtenant.protocol.message.frontend.Sync;
import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The extended LISTEN batches the proxy answers itself, and what it keeps of the others. */
class ListenBatchTest {

    private static final ListenCommand LISTEN = new ListenCommand(true, "orders");

    private final TrackingAllocator tracking = new TrackingAllocator();

    @AfterEach
    void everythingReleased() {
        tracking.assertAllReleased();
    }

    @Test
    void theDriversBatchWithOrWithoutADescribeOfItsPortalIsAnswered() {
        ListenBatch plain = batch(bind("", ""), new Execute("", 0));
        assertThat(plain.answerable()).isTrue();
        assertThat(plain.describes()).isFalse();
        plain.release();

        ListenBatch described = batch(bind("p", ""), new Describe(PortalOrStatement.PORTAL, "p"), new Execute("p", 0));
        assertThat(described.answerable()).isTrue();
        described.release();
        assertThat(described.describes()).as("still known once the messages are released").isTrue();
        assertThat(described.command()).isEqualTo(LISTEN);
    }

    @Test
    void aBatchWhoseRepliesWouldAnswerSomethingElseIsNot() {
        List<ListenBatch> others = List.of(
                batch(bind("", "other"), new Execute("", 0)),
                batch(bind("a", ""), new Execute("b", 0)),
                batch(bind("", ""), new Describe(PortalOrStatement.STATEMENT, ""), new Execute("", 0)),
                batch(bind("p", ""), new Describe(PortalOrStatement.PORTAL, "q"), new Execute("p", 0)),
                batch(new Execute("", 0), bind("", "")),
                batch(bind("", ""), new Execute("", 0), new Execute("", 0)),
                batch(bind("", "")));
        for (ListenBatch other : others) {
            assertThat(other.answerable()).isFalse();
            other.release();
        }
    }

    @Test
    void itHoldsNoMoreThanParseBindDescribeExecute() {
        ListenBatch batch = batch(bind("", ""), new Describe(PortalOrStatement.PORTAL, ""));
        assertThat(add(batch, new Execute("", 0))).isTrue();
        assertThat(add(batch, new Execute("", 0))).as("a fifth message").isFalse();
        assertThat(add(batch, new Sync())).isFalse();
        batch.release();
    }

    @Test
    void aBatchHandedOverGivesItsMessagesInOrderAndKeepsNone() {
        ListenBatch batch = batch(bind("", ""), new Execute("", 0));
        List<Character> types = new ArrayList<>();
        batch.handOver(message -> types.add((char) message.type()));
        assertThat(types).containsExactly('P', 'B', 'E');
        assertThat(tracking.outstandingBytes()).as("the batch's copies released").isZero();
    }

    /** A batch started by the Parse of a LISTEN, with {@code rest} added; the reads themselves are released. */
    private ListenBatch batch(FrontendMessage... rest) {
        ByteBuf read = read(new Parse("", "LISTEN orders", List.of()));
        ListenBatch batch = new ListenBatch(LISTEN, new ClientMessage().set((byte) 'P', read, 0, read.readableBytes()));
        read.release();
        for (FrontendMessage message : rest) {
            assertThat(add(batch, message)).isTrue();
        }
        return batch;
    }

    private boolean add(ListenBatch batch, FrontendMessage message) {
        ByteBuf read = read(message);
        try {
            return batch.add(new ClientMessage().set(read.getByte(0), read, 0, read.readableBytes()));
        } finally {
            read.release();
        }
    }

    private ByteBuf read(FrontendMessage message) {
        ByteBuf buf = tracking.allocator().buffer();
        message.encode(buf);
        return buf;
    }

    private static Bind bind(String portal, String statement) {
        return new Bind(portal, statement, List.of(), List.of(), List.of());
    }
}
