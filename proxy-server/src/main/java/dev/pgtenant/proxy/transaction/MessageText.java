package dev.pgtenant.proxy.transaction;

import io.netty.buffer.ByteBuf;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Reading the strings and words of a message where it lies in a buffer, and writing a name into
 * one: what the relay needs of the few fields it looks at, without decoding the rest. Every read is
 * bounded by an end the caller gives, since the next message may follow in the same buffer.
 */
final class MessageText {

    /**
     * The longest LISTEN, UNLISTEN or DEALLOCATE text the proxy answers itself; a longer one goes to
     * the backend, which pins the session. A channel name is at most 63 bytes, 128 quoted; the bound
     * also keeps the patterns the text is matched against, on the event loop, on a short string.
     */
    static final int MAX_ANSWERED_COMMAND_BYTES = 512;
    /** PostgreSQL's NAMEDATALEN less its terminating byte: a longer identifier is cut to this. */
    static final int MAX_IDENTIFIER_BYTES = 63;
    private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private MessageText() {
    }

    /** Whether {@code buf} holds exactly {@code bytes} from {@code at} to {@code end}; compared eight bytes at a time. */
    static boolean sameBytes(ByteBuf buf, int at, int end, byte[] bytes) {
        if (bytes == null || end - at != bytes.length) {
            return false;
        }
        int i = 0;
        for (; i + Long.BYTES <= bytes.length; i += Long.BYTES) {
            if (buf.getLong(at + i) != (long) BIG_ENDIAN_LONG.get(bytes, i)) {
                return false;
            }
        }
        for (; i < bytes.length; i++) {
            if (buf.getByte(at + i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    /** Writes a statement or portal name as the protocol does: its bytes, then a NUL. */
    static void writeName(ByteBuf buf, String name) {
        buf.writeCharSequence(name, StandardCharsets.ISO_8859_1);
        buf.writeByte(0);
    }

    /**
     * Whether a message's bytes from {@code from} start with {@code word} (lower case), before any
     * decoding: ASCII whitespace is skipped and ASCII letters compared without case. This runs on
     * every statement, nearly always to say no.
     */
    static boolean startsWithWord(ByteBuf buffer, int from, int end, String word) {
        int at = from;
        while (at < end && Character.isWhitespace(buffer.getByte(at))) {
            at++;
        }
        if (end - at < word.length()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if ((buffer.getByte(at + i) | 0x20) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The NUL-terminated string at {@code offset} in {@code body}, or null when unterminated. */
    static String readString(ByteBuf body, int offset, Charset charset) {
        return stringAt(body, body.readerIndex() + offset, body.writerIndex(), charset);
    }

    /** The NUL-terminated string at index {@code start} of {@code buf}, before {@code end}; null when unterminated. */
    static String stringAt(ByteBuf buf, int start, int end, Charset charset) {
        if (start > end) {
            return null;
        }
        int nul = buf.indexOf(start, end, (byte) 0);
        return nul < 0 ? null : buf.toString(start, nul - start, charset);
    }

    /** Whether PostgreSQL would cut {@code name}, as an identifier, to {@link #MAX_IDENTIFIER_BYTES}. */
    static boolean longerThanIdentifier(String name) {
        return name.length() > MAX_IDENTIFIER_BYTES
                || name.getBytes(StandardCharsets.UTF_8).length > MAX_IDENTIFIER_BYTES;
    }

    /** The SQL text in {@code buf[from, to)} without surrounding white space; null when too long to be answered here. */
    static String answerableCommand(ByteBuf buf, int from, int to) {
        return to - from > MAX_ANSWERED_COMMAND_BYTES ? null : buf.toString(from, to - from, StandardCharsets.UTF_8).strip();
    }
}
