package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** Reports the current value of a run-time parameter ('S'). */
public record ParameterStatus(String name, String value) implements BackendMessage {

    public ParameterStatus {
        MessageWriter.requireCString(name, "name");
        MessageWriter.requireCString(value, "value");
    }

    static ParameterStatus decode(MessageReader in) {
        return new ParameterStatus(in.readCString(), in.readCString());
    }

    @Override
    public byte type() {
        return 'S';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, name);
        MessageWriter.writeCString(out, value);
    }
}
