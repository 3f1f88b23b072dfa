package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/** A chunk of COPY IN data ('d'). */
public record CopyData(ByteString data) implements FrontendMessage {

    public CopyData {
        Objects.requireNonNull(data, "data");
    }

    static CopyData decode(MessageReader in) {
        return new CopyData(in.readRest());
    }

    @Override
    public byte type() {
        return 'd';
    }

    @Override
    public void writeBody(ByteBuf out) {
        data.writeTo(out);
    }
}
