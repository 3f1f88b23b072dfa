package dev.pgtenant.protocol.message.backend;

import io.netty.buffer.ByteBuf;

/** A Parse succeeded ('1'). */
public record ParseComplete() implements BackendMessage {

    @Override
    public byte type() {
        return '1';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
