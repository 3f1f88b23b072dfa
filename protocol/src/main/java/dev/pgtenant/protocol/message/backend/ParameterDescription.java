package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** The parameter types of a described statement, as type OIDs ('t'). */
public record ParameterDescription(List<Integer> typeOids) implements BackendMessage {

    public ParameterDescription {
        if (typeOids.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many parameters: " + typeOids.size());
        }
        typeOids = List.copyOf(typeOids);
    }

    static ParameterDescription decode(MessageReader in) {
        int count = in.readCount("parameter", 4);
        List<Integer> oids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            oids.add(in.readInt());
        }
        return new ParameterDescription(oids);
    }

    @Override
    public byte type() {
        return 't';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeShort(typeOids.size());
        typeOids.forEach(out::writeInt);
    }
}
