package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/** Closes a prepared statement or portal ('C'); an empty name is the unnamed one. */
public record Close(PortalOrStatement target, String name) implements FrontendMessage {

    public Close {
        Objects.requireNonNull(target, "target");
        MessageWriter.requireCString(name, "name");
    }

    static Close decode(MessageReader in) {
        return new Close(FrontendMessages.readTarget(in), in.readCString());
    }

    @Override
    public byte type() {
        return 'C';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeByte(target.code());
        MessageWriter.writeCString(out, name);
    }
}
