package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.testkit.TrackingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeldMessagesTest {

    /** Parse of the unnamed statement, Bind, then Sync, as one client read holds them. */
    private static final byte[] READ = {
        'P', 0, 0, 0, 16, 0, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1', 0, 0, 0,
        'B', 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0,
        'S', 0, 0, 0, 4,
    };

    private final TrackingAllocator tracking = new TrackingAllocator();

    @AfterEach
    void everythingReleased() {
        tracking.assertAllReleased();
    }

    @Test
    void messagesAreCopiedSoTheReadCanGoAndComeBackInOrder() {
        HeldMessages held = new HeldMessages(tracking.allocator());
        ByteBuf read = tracking.bytes(READ);
        ClientMessage view = new ClientMessage();
        held.add(view.set((byte) 'P', read, 0, 17));
        held.add(view.set((byte) 'B', read, 17, 13));
        held.add(view.set((byte) 'S', read, 30, 5));
        read.release();
        assertThat(held.size()).isEqualTo(3);
        assertThat(held.byteCount()).isEqualTo(READ.length);
        assertThat(held.anyMatch(message -> message.type() == 'B')).isTrue();
        assertThat(held.anyMatch(message -> message.type() == 'D')).isFalse();

        ByteBuf taken = held.take();
        assertThat(held.isEmpty()).isTrue();
        List<String> walked = new ArrayList<>();
        for (int at = taken.readerIndex(); at < taken.writerIndex(); at = view.end()) {
            HeldMessages.at(taken, at, view);
            walked.add((char) view.type() + ":" + view.length());
        }
        assertThat(walked).containsExactly("P:17", "B:13", "S:5");
        assertThat(ByteBufUtil.getBytes(taken)).isEqualTo(READ);
        taken.release();
        assertThat(held.take()).isNull();
    }

    @Test
    void clearingReleasesTheBuffer() {
        HeldMessages held = new HeldMessages(tracking.allocator());
        ByteBuf read = tracking.bytes(READ);
        held.add(new ClientMessage().set((byte) 'S', read, 30, 5));
        read.release();
        held.clear();
        assertThat(held.isEmpty()).isTrue();
        assertThat(held.byteCount()).isZero();
    }

    @Test
    void theSharedEmptyOneCannotBeWritten() {
        ByteBuf read = tracking.bytes(READ);
        try {
            assertThatThrownBy(() -> HeldMessages.NONE.add(new ClientMessage().set((byte) 'S', read, 30, 5)))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(HeldMessages.NONE.isEmpty()).isTrue();
        } finally {
            read.release();
        }
    }
}
