package dev.pgtenant.protocol.message.frontend;

import io.netty.buffer.ByteBuf;

/** The client is closing the connection ('X'). */
public record Terminate() implements FrontendMessage {

    @Override
    public byte type() {
        return 'X';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
