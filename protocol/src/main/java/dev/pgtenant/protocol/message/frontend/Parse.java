package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Prepares a statement ('P'). An empty name is the unnamed statement; a type OID of 0 leaves the
 * parameter's type to the server.
 */
public record Parse(String statement, String sql, List<Integer> parameterTypes) implements FrontendMessage {

    public Parse {
        MessageWriter.requireCString(statement, "statement");
        MessageWriter.requireCString(sql, "sql");
        if (parameterTypes.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many parameters: " + parameterTypes.size());
        }
        parameterTypes = List.copyOf(parameterTypes);
    }

    static Parse decode(MessageReader in) {
        String statement = in.readCString();
        String sql = in.readCString();
        int count = in.readCount("parameter type", 4);
        List<Integer> types = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            types.add(in.readInt());
        }
        return new Parse(statement, sql, types);
    }

    @Override
    public byte type() {
        return 'P';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, statement);
        MessageWriter.writeCString(out, sql);
        out.writeShort(parameterTypes.size());
        parameterTypes.forEach(out::writeInt);
    }
}
