package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** A simple-protocol query: one string, possibly several statements ('Q'). */
public record Query(String sql) implements FrontendMessage {

    public Query {
        MessageWriter.requireCString(sql, "sql");
    }

    static Query decode(MessageReader in) {
        return new Query(in.readCString());
    }

    @Override
    public byte type() {
        return 'Q';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, sql);
    }
}
