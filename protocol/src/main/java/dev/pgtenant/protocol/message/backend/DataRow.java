package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One result row ('D'); a {@code null} value is SQL NULL. The relay forwards rows as raw frames:
 * this typed form is for rows pgtenant produces itself (admin console) and for tests.
 */
public record DataRow(List<ByteString> values) implements BackendMessage {

    public DataRow {
        if (values.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many columns: " + values.size());
        }
        values = Collections.unmodifiableList(new ArrayList<>(values));
    }

    static DataRow decode(MessageReader in) {
        int count = in.readCount("column", 4);
        List<ByteString> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            values.add(in.readNullableBytes());
        }
        return new DataRow(values);
    }

    @Override
    public byte type() {
        return 'D';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeShort(values.size());
        values.forEach(value -> MessageWriter.writeNullableBytes(out, value));
    }
}
