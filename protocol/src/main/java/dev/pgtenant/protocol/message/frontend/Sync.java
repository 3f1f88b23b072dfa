package dev.pgtenant.protocol.message.frontend;

import io.netty.buffer.ByteBuf;

/** Ends an extended-query batch: commit or roll back an implicit transaction, then ReadyForQuery ('S'). */
public record Sync() implements FrontendMessage {

    @Override
    public byte type() {
        return 'S';
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
