package dev.pgtenant.protocol.message.backend;

import io.netty.buffer.ByteBuf;

/** The query string was empty ('I'). */
public record EmptyQueryResponse() implements BackendMessage {

    @Override
    public byte type() {
        return 'I';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
