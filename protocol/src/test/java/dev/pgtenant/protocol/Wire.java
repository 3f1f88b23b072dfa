package dev.pgtenant.protocol;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Test helpers for building reference bytes by hand and encoding messages to arrays. */
public final class Wire {

    private Wire() {
    }

    /** Concatenates ints (as int32), strings (as NUL-terminated UTF-8), chars (one byte) and byte arrays. */
    public static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object part : parts) {
            if (part instanceof Integer i) {
                out.write(i >>> 24);
                out.write(i >>> 16);
                out.write(i >>> 8);
                out.write(i);
            } else if (part instanceof Short s) {
                out.write(s >>> 8);
                out.write(s);
            } else if (part instanceof Character c) {
                out.write(c);
            } else if (part instanceof Byte b) {
                out.write(b);
            } else if (part instanceof String s) {
                out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
                out.write(0);
            } else if (part instanceof byte[] b) {
                out.writeBytes(b);
            } else {
                throw new IllegalArgumentException("unsupported part " + part);
            }
        }
        return out.toByteArray();
    }

    /** A typed message: type byte, int32 length including itself, body. */
    public static byte[] message(char type, Object... body) {
        byte[] content = bytes(body);
        return bytes(type, content.length + 4, content);
    }

    /** What an encoder writes, as an array. */
    public static byte[] encode(Consumer<ByteBuf> encoder) {
        return dev.pgtenant.protocol.codec.MessageWriter.toBytes(encoder);
    }
}
