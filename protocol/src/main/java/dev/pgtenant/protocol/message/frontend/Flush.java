package dev.pgtenant.protocol.message.frontend;

import io.netty.buffer.ByteBuf;

/** Asks the server to send what it has produced so far without ending the batch ('H'). */
public record Flush() implements FrontendMessage {

    @Override
    public byte type() {
        return 'H';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
