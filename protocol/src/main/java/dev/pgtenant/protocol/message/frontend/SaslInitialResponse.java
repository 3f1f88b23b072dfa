package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Picks a SASL mechanism and carries the first client message; {@code null} data is absent ('p'). */
public record SaslInitialResponse(String mechanism, ByteString data) implements FrontendMessage {

    public SaslInitialResponse {
        MessageWriter.requireCString(mechanism, "mechanism");
    }

    static SaslInitialResponse decode(MessageReader in) {
        return new SaslInitialResponse(in.readCString(), in.readNullableBytes());
    }

    @Override
    public byte type() {
        return 'p';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, mechanism);
        MessageWriter.writeNullableBytes(out, data);
    }
}
