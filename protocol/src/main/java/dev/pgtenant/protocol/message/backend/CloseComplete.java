package dev.pgtenant.protocol.message.backend;

import io.netty.buffer.ByteBuf;

/** A Close succeeded ('3'). */
public record CloseComplete() implements BackendMessage {

    @Override
    public byte type() {
        return '3';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
