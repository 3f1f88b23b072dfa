package dev.pgtenant.proxy.transaction;

import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Function;

/** A client message as the relay reads it: where it lies in a buffer of its own. */
final class ReadMessages {

    private ReadMessages() {
    }

    /** What {@code reader} makes of {@code message}, encoded. */
    static <T> T read(FrontendMessage message, Function<ClientMessage, T> reader) {
        ByteBuf buf = Unpooled.buffer();
        try {
            message.encode(buf);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
        return read(buf, reader);
    }

    /** What {@code reader} makes of the message {@code buf} holds from its start; releases {@code buf}. */
    static <T> T read(ByteBuf buf, Function<ClientMessage, T> reader) {
        try {
            return reader.apply(new ClientMessage().set(buf.getByte(0), buf, 0, buf.readableBytes()));
        } finally {
            buf.release();
        }
    }
}
