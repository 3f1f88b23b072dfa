package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The fields the relay reads in place: no false "same" in the comparison that lets a repeated unnamed
 * Parse skip the session-state check, and nothing read past the end a message gives.
 */
class MessageTextTest {

    private static final byte[] STATEMENT = "SELECT abalance FROM pgbench_accounts WHERE aid = $1\0\0\1\0\0\0\27"
            .getBytes(StandardCharsets.ISO_8859_1);

    @Test
    void theSameBytesAtAnOffsetAreTheSame() {
        ByteBuf buf = framed(STATEMENT.clone());
        try {
            assertThat(MessageText.sameBytes(buf, 3, buf.writerIndex() - 2, STATEMENT)).isTrue();
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
                assertThat(MessageText.sameBytes(buf, 3, buf.writerIndex() - 2, STATEMENT)).as("byte %d", i).isFalse();
            } finally {
                buf.release();
            }
        }
    }

    @Test
    void anotherLengthOrNothingRememberedIsNotTheSame() {
        ByteBuf buf = framed(STATEMENT.clone());
        try {
            assertThat(MessageText.sameBytes(buf, 3, buf.writerIndex() - 3, STATEMENT)).isFalse();
            assertThat(MessageText.sameBytes(buf, 3, buf.writerIndex() - 1, STATEMENT)).isFalse();
            assertThat(MessageText.sameBytes(buf, 3, buf.writerIndex() - 2, null)).isFalse();
            assertThat(MessageText.sameBytes(buf, 3, 3, new byte[0])).isTrue();
        } finally {
            buf.release();
        }
    }

    @Test
    void aWordIsFoundAfterWhiteSpaceInAnyCaseAndOnlyBeforeTheEnd() {
        ByteBuf buf = Unpooled.copiedBuffer(" \t\nLiStEn x", StandardCharsets.US_ASCII);
        try {
            assertThat(MessageText.startsWithWord(buf, 0, buf.writerIndex(), "listen")).isTrue();
            assertThat(MessageText.startsWithWord(buf, 0, buf.writerIndex(), "unlisten")).isFalse();
            assertThat(MessageText.startsWithWord(buf, 0, 8, "listen")).as("the word cut by the end").isFalse();
            assertThat(MessageText.startsWithWord(buf, 0, 0, "listen")).isFalse();
        } finally {
            buf.release();
        }
    }

    @Test
    void aStringEndsAtItsNulBeforeTheEndOrIsNone() {
        ByteBuf buf = Unpooled.copiedBuffer("ab\0cd\0", StandardCharsets.US_ASCII);
        try {
            assertThat(MessageText.stringAt(buf, 0, buf.writerIndex(), StandardCharsets.US_ASCII)).isEqualTo("ab");
            assertThat(MessageText.readString(buf, 3, StandardCharsets.US_ASCII)).isEqualTo("cd");
            assertThat(MessageText.stringAt(buf, 3, 5, StandardCharsets.US_ASCII)).as("the NUL past the end").isNull();
            assertThat(MessageText.stringAt(buf, 6, 5, StandardCharsets.US_ASCII)).isNull();
            assertThat(MessageText.readString(buf, 7, StandardCharsets.US_ASCII)).isNull();
        } finally {
            buf.release();
        }
    }

    @Test
    void aCommandLongerThanTheProxyAnswersIsNone() {
        String longest = "x".repeat(MessageText.MAX_ANSWERED_COMMAND_BYTES);
        ByteBuf buf = Unpooled.copiedBuffer(longest + "x", StandardCharsets.US_ASCII);
        try {
            assertThat(MessageText.answerableCommand(buf, 0, longest.length())).isEqualTo(longest);
            assertThat(MessageText.answerableCommand(buf, 0, buf.writerIndex())).isNull();
        } finally {
            buf.release();
        }
    }

    /** {@code bytes} with three bytes before and two after, as a message's fields sit inside it. */
    private static ByteBuf framed(byte[] bytes) {
        return Unpooled.directBuffer().writeBytes(new byte[] {'P', 0, 0}).writeBytes(bytes).writeBytes(new byte[] {9, 9});
    }
}
