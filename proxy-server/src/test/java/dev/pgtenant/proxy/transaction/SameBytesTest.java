package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The comparison that lets a repeated unnamed Parse skip the session-state check: no false "same". */
class SameBytesTest {

    private static final byte[] STATEMENT = "SELECT abalance FROM pgbench_accounts WHERE aid = $1\0\0\1\0\0\0\27"
            .getBytes(StandardCharsets.ISO_8859_1);

    @Test
    void theSameBytesAtAnOffsetAreTheSame() {
        ByteBuf buf = framed(STATEMENT.clone());
        try {
            assertThat(TransactionRelay.sameBytes(buf, 3, buf.writerIndex() - 2, STATEMENT)).isTrue();
        } finally {
            buf.release();
        }
    }

    @Test
    void oneByteChangedAnywhereIsNotTheSame() {
        for (int i = 0; i < STATEMENT.length; i++) {
            byte[] changed = STATEMENT.clone();
            changed[i] ^= 0x01;
            ByteBuf buf = framed(changed);
            try {
                assertThat(TransactionRelay.sameBytes(buf, 3, buf.writerIndex() - 2, STATEMENT)).as("byte %d", i).isFalse();
            } finally {
                buf.release();
            }
        }
    }

    @Test
    void anotherLengthOrNothingRememberedIsNotTheSame() {
        ByteBuf buf = framed(STATEMENT.clone());
        try {
            assertThat(TransactionRelay.sameBytes(buf, 3, buf.writerIndex() - 3, STATEMENT)).isFalse();
            assertThat(TransactionRelay.sameBytes(buf, 3, buf.writerIndex() - 1, STATEMENT)).isFalse();
            assertThat(TransactionRelay.sameBytes(buf, 3, buf.writerIndex() - 2, null)).isFalse();
            assertThat(TransactionRelay.sameBytes(buf, 3, 3, new byte[0])).isTrue();
        } finally {
            buf.release();
        }
    }

    /** {@code bytes} with three bytes before and two after, as a message's fields sit inside it. */
    private static ByteBuf framed(byte[] bytes) {
        return Unpooled.directBuffer().writeBytes(new byte[] {'P', 0, 0}).writeBytes(bytes).writeBytes(new byte[] {9, 9});
    }
}
