package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** The result of a fast-path FunctionCall; {@code null} is SQL NULL ('V'). */
public record FunctionCallResponse(ByteString result) implements BackendMessage {

    static FunctionCallResponse decode(MessageReader in) {
        return new FunctionCallResponse(in.readNullableBytes());
    }

    @Override
    public byte type() {
        return 'V';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeNullableBytes(out, result);
    }
}
