package dev.pgtenant.protocol.codec;

import dev.pgtenant.protocol.ByteString;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** Field writers shared by the message encoders; the framing itself lives in {@link #frame}. */
public final class MessageWriter {

    private MessageWriter() {
    }

    /** Writes a typed message: the type byte, the length (patched once the body is written), the body. */
    public static void frame(ByteBuf out, byte type, java.util.function.Consumer<ByteBuf> body) {
        out.writeByte(type);
        int lengthIndex = out.writerIndex();
        out.writeInt(0);
        body.accept(out);
        out.setInt(lengthIndex, out.writerIndex() - lengthIndex);
    }

    /** What an encoder writes, as an array: for blocking clients (tools, tests), and for messages encoded once and sent many times. */
    public static byte[] toBytes(java.util.function.Consumer<ByteBuf> encoder) {
        ByteBuf buf = io.netty.buffer.Unpooled.buffer();
        try {
            encoder.accept(buf);
            return io.netty.buffer.ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    public static void writeCString(ByteBuf out, String value) {
        out.writeCharSequence(value, StandardCharsets.UTF_8);
        out.writeByte(0);
    }

    /** An int32 length and the bytes, or length -1 for {@code null}. */
    public static void writeNullableBytes(ByteBuf out, ByteString value) {
        if (value == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(value.length());
            value.writeTo(out);
        }
    }

    /** Rejects strings that cannot travel as NUL-terminated protocol strings. */
    public static String requireCString(String value, String field) {
        if (value == null) {
            throw new NullPointerException(field);
        }
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(field + " must not contain a NUL character");
        }
        return value;
    }
}
