package dev.pgtenant.protocol.message.frontend;

import io.netty.buffer.ByteBuf;

/** The client finished sending COPY data ('c'). */
public record CopyDone() implements FrontendMessage {

    @Override
    public byte type() {
        return 'c';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
