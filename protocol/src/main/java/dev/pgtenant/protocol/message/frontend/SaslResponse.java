package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/** A later message of a SASL exchange ('p'). */
public record SaslResponse(ByteString data) implements FrontendMessage {

    public SaslResponse {
        Objects.requireNonNull(data, "data");
    }

    static SaslResponse decode(MessageReader in) {
        return new SaslResponse(in.readRest());
    }

    @Override
    public byte type() {
        return 'p';
    }

    @Override
    public void writeBody(ByteBuf out) {
        data.writeTo(out);
    }
}
