package dev.pgtenant.protocol.message.startup;

import io.netty.buffer.ByteBuf;

/** Asks whether the server will switch to GSSAPI encryption; answered with 'G' or 'N'. */
public record GssEncRequest() implements StartupPacket {

    @Override
    public int code() {
        return GSSENC_REQUEST_CODE;
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
