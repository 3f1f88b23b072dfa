package dev.pgtenant.protocol.message.startup;

import io.netty.buffer.ByteBuf;

/** Sent on a new connection to cancel the query of the session holding this key. */
public record CancelRequest(int processId, int secretKey) implements StartupPacket {

    /** Length, code, process id and secret. */
    public static final int LENGTH = 16;

    @Override
    public int code() {
        return CANCEL_REQUEST_CODE;
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeInt(processId);
        out.writeInt(secretKey);
    }

    @Override
    public String toString() {
        return "CancelRequest[processId=" + processId + ", secretKey=<hidden>]";
    }
}
