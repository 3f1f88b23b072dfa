package dev.pgtenant.protocol.codec;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked reads from one message body. Every read that would run past the body throws a
 * {@link ProtocolException} naming the message, never an {@code IndexOutOfBoundsException}, and no
 * read allocates more than the bytes actually present.
 */
public final class MessageReader {

    private final ByteBuf body;
    private final String messageName;

    public MessageReader(ByteBuf body, String messageName) {
        this.body = body;
        this.messageName = messageName;
    }

    public int remaining() {
        return body.readableBytes();
    }

    public byte readByte() {
        require(1, "a byte");
        return body.readByte();
    }

    public short readShort() {
        require(2, "an int16");
        return body.readShort();
    }

    public int readInt() {
        require(4, "an int32");
        return body.readInt();
    }

    /** An int16 count of items of at least {@code minItemSize} bytes each, checked against the body. */
    public int readCount(String what, int minItemSize) {
        int count = readShort() & 0xFFFF;
        if ((long) count * minItemSize > remaining()) {
            throw malformed(what + " count " + count + " exceeds the message length");
        }
        return count;
    }

    /** A NUL-terminated string, decoded as UTF-8. */
    public String readCString() {
        int start = body.readerIndex();
        int end = body.indexOf(start, body.writerIndex(), (byte) 0);
        if (end < 0) {
            throw malformed("a string is missing its terminator");
        }
        String value = body.toString(start, end - start, StandardCharsets.UTF_8);
        body.readerIndex(end + 1);
        return value;
    }

    public ByteString readBytes(int length) {
        if (length < 0) {
            throw malformed("negative field length " + length);
        }
        require(length, length + " bytes");
        return ByteString.readFrom(body, length);
    }

    /** An int32 length followed by that many bytes; length -1 stands for NULL and gives {@code null}. */
    public ByteString readNullableBytes() {
        int length = readInt();
        return length == -1 ? null : readBytes(length);
    }

    public ByteString readRest() {
        return ByteString.readFrom(body, remaining());
    }

    /** Fails when bytes are left over, as PostgreSQL does for a message longer than its content. */
    public void expectEnd() {
        if (body.isReadable()) {
            throw malformed(body.readableBytes() + " unexpected trailing bytes");
        }
    }

    public ProtocolException malformed(String detail) {
        return ProtocolException.violation("invalid " + messageName + " message: " + detail);
    }

    private void require(int bytes, String what) {
        if (body.readableBytes() < bytes) {
            throw malformed("truncated, expected " + what + " but " + body.readableBytes() + " bytes remain");
        }
    }
}
