package dev.pgtenant.protocol.message.startup;

import io.netty.buffer.ByteBuf;

/**
 * A packet of the startup phase. These have no type byte: an int32 length, then an int32 code that
 * is either a protocol version or one of the special request codes.
 */
public sealed interface StartupPacket permits StartupMessage, SslRequest, GssEncRequest, CancelRequest {

    /** PostgreSQL refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH). */
    int MAX_LENGTH = 10_000;

    int PROTOCOL_3_0 = 3 << 16;
    int CANCEL_REQUEST_CODE = (1234 << 16) | 5678;
    int SSL_REQUEST_CODE = (1234 << 16) | 5679;
    int GSSENC_REQUEST_CODE = (1234 << 16) | 5680;

    /** The code that follows the length: a protocol version or a request code. */
    int code();

    void writeBody(ByteBuf out);

    default void encode(ByteBuf out) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeInt(code());
        writeBody(out);
        out.setInt(start, out.writerIndex() - start);
    }
}
