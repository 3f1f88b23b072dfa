package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** The client aborts a COPY IN, with a reason the server reports back ('f'). */
public record CopyFail(String reason) implements FrontendMessage {

    public CopyFail {
        MessageWriter.requireCString(reason, "reason");
    }

    static CopyFail decode(MessageReader in) {
        return new CopyFail(in.readCString());
    }

    @Override
    public byte type() {
        return 'f';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, reason);
    }
}
