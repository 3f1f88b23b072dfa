package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** A command finished; the tag names it and may count rows, e.g. {@code INSERT 0 3} ('C'). */
public record CommandComplete(String tag) implements BackendMessage {

    public CommandComplete {
        MessageWriter.requireCString(tag, "tag");
    }

    static CommandComplete decode(MessageReader in) {
        return new CommandComplete(in.readCString());
    }

    @Override
    public byte type() {
        return 'C';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, tag);
    }
}
