package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Binds parameter values to a prepared statement, creating a portal ('B'). A {@code null} value is
 * SQL NULL. Format lists follow the protocol: empty means all text, one entry applies to all.
 */
public record Bind(String portal, String statement, List<Short> parameterFormats, List<ByteString> values,
                   List<Short> resultFormats) implements FrontendMessage {

    public Bind {
        MessageWriter.requireCString(portal, "portal");
        MessageWriter.requireCString(statement, "statement");
        if (parameterFormats.size() > 0xFFFF || values.size() > 0xFFFF || resultFormats.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many parameters or result columns");
        }
        parameterFormats = List.copyOf(parameterFormats);
        values = Collections.unmodifiableList(new ArrayList<>(values));
        resultFormats = List.copyOf(resultFormats);
    }

    static Bind decode(MessageReader in) {
        String portal = in.readCString();
        String statement = in.readCString();
        List<Short> parameterFormats = readFormats(in, "parameter format");
        int count = in.readCount("parameter", 4);
        List<ByteString> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            values.add(in.readNullableBytes());
        }
        List<Short> resultFormats = readFormats(in, "result format");
        return new Bind(portal, statement, parameterFormats, values, resultFormats);
    }

    private static List<Short> readFormats(MessageReader in, String what) {
        int count = in.readCount(what, 2);
        List<Short> formats = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            formats.add(in.readShort());
        }
        return formats;
    }

    @Override
    public byte type() {
        return 'B';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, portal);
        MessageWriter.writeCString(out, statement);
        out.writeShort(parameterFormats.size());
        parameterFormats.forEach(out::writeShort);
        out.writeShort(values.size());
        values.forEach(value -> MessageWriter.writeNullableBytes(out, value));
        out.writeShort(resultFormats.size());
        resultFormats.forEach(out::writeShort);
    }
}
