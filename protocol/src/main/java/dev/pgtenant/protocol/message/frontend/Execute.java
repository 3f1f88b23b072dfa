package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Runs a portal, returning at most {@code maxRows} rows; 0 means no limit ('E'). */
public record Execute(String portal, int maxRows) implements FrontendMessage {

    public Execute {
        MessageWriter.requireCString(portal, "portal");
    }

    static Execute decode(MessageReader in) {
        return new Execute(in.readCString(), in.readInt());
    }

    @Override
    public byte type() {
        return 'E';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, portal);
        out.writeInt(maxRows);
    }
}
