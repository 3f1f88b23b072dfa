package dev.pgtenant.protocol.message.backend;

import io.netty.buffer.ByteBuf;

/** A Bind succeeded ('2'). */
public record BindComplete() implements BackendMessage {

    @Override
    public byte type() {
        return '2';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
