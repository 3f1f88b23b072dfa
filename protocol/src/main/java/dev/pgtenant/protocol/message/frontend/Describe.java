package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/** Asks for the description of a statement or portal ('D'); an empty name is the unnamed one. */
public record Describe(PortalOrStatement target, String name) implements FrontendMessage {

    public Describe {
        Objects.requireNonNull(target, "target");
        MessageWriter.requireCString(name, "name");
    }

    static Describe decode(MessageReader in) {
        return new Describe(FrontendMessages.readTarget(in), in.readCString());
    }

    @Override
    public byte type() {
        return 'D';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeByte(target.code());
        MessageWriter.writeCString(out, name);
    }
}
