package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** A NOTIFY delivered to a listening session ('A'). */
public record NotificationResponse(int processId, String channel, String payload) implements BackendMessage {

    public NotificationResponse {
        MessageWriter.requireCString(channel, "channel");
        MessageWriter.requireCString(payload, "payload");
    }

    static NotificationResponse decode(MessageReader in) {
        return new NotificationResponse(in.readInt(), in.readCString(), in.readCString());
    }

    @Override
    public byte type() {
        return 'A';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeInt(processId);
        MessageWriter.writeCString(out, channel);
        MessageWriter.writeCString(out, payload);
    }
}
