package dev.pgtenant.protocol.message.backend;

import io.netty.buffer.ByteBuf;

/** The server finished sending COPY data ('c'). */
public record CopyDone() implements BackendMessage {

    @Override
    public byte type() {
        return 'c';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
