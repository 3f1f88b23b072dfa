package dev.pgtenant.protocol.message.backend;

import io.netty.buffer.ByteBuf;

/** An Execute stopped at its row limit; the portal can continue ('s'). */
public record PortalSuspended() implements BackendMessage {

    @Override
    public byte type() {
        return 's';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
