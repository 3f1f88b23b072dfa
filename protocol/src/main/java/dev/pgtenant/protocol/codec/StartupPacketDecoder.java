package dev.pgtenant.protocol.codec;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.message.startup.CancelRequest;
import dev.pgtenant.protocol.message.startup.GssEncRequest;
import dev.pgtenant.protocol.message.startup.SslRequest;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.protocol.message.startup.StartupPacket;
import dev.pgtenant.protocol.message.startup.StartupPackets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the startup phase of a client connection into {@link StartupPacket}s. The length is checked
 * against PostgreSQL's bounds before the body is awaited. A StartupMessage or CancelRequest ends the
 * phase: nothing after it is decoded here. The session then replaces this decoder with a
 * {@link FrameDecoder}, and the bytes that followed are handed on when this handler is removed. As
 * PostgreSQL does, each encryption request is answered once: a second is refused.
 */
public final class StartupPacketDecoder extends ByteToMessageDecoder {

    private static final int MIN_LENGTH = 8;

    private boolean failed;
    private boolean phaseOver;
    private boolean sslRequested;
    private boolean gssEncRequested;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (phaseOver || in.readableBytes() < 4) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        if (length < MIN_LENGTH || length > StartupPacket.MAX_LENGTH) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw ProtocolException.violation("invalid length of startup packet: " + length);
        }
        if (in.readableBytes() < length) {
            return;
        }
        ByteBuf packet = in.slice(in.readerIndex() + 4, length - 4);
        in.skipBytes(length);
        try {
            StartupPacket decoded = StartupPackets.decode(packet);
            refuseRepeatedRequest(decoded);
            phaseOver = decoded instanceof StartupMessage || decoded instanceof CancelRequest;
            out.add(decoded);
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    private void refuseRepeatedRequest(StartupPacket packet) {
        boolean repeated = packet instanceof SslRequest && sslRequested || packet instanceof GssEncRequest && gssEncRequested;
        sslRequested |= packet instanceof SslRequest;
        gssEncRequested |= packet instanceof GssEncRequest;
        if (repeated) {
            throw ProtocolException.violation("the client asked for " + (packet instanceof SslRequest ? "SSL" : "GSSAPI")
                    + " encryption a second time, after it was declined");
        }
    }
}
