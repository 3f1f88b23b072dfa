package dev.pgtenant.protocol.message.backend;

import io.netty.buffer.ByteBuf;

/** The described statement or portal returns no rows ('n'). */
public record NoData() implements BackendMessage {

    @Override
    public byte type() {
        return 'n';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
