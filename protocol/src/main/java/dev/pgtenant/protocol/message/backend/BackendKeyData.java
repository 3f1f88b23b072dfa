package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;

/** The process id and secret a client must quote in a CancelRequest ('K'). */
public record BackendKeyData(int processId, int secretKey) implements BackendMessage {

    static BackendKeyData decode(MessageReader in) {
        return new BackendKeyData(in.readInt(), in.readInt());
    }

    @Override
    public byte type() {
        return 'K';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeInt(processId);
        out.writeInt(secretKey);
    }

    @Override
    public String toString() {
        return "BackendKeyData[processId=" + processId + ", secretKey=<hidden>]";
    }
}
