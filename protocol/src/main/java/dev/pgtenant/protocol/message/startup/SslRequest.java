package dev.pgtenant.protocol.message.startup;

import io.netty.buffer.ByteBuf;

/** Asks whether the server will switch to TLS; answered with a single byte 'S' or 'N'. */
public record SslRequest() implements StartupPacket {

    @Override
    public int code() {
        return SSL_REQUEST_CODE;
    }

    @Override
    public void writeBody(ByteBuf out) {
    }
}
