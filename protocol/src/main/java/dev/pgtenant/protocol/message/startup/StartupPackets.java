package dev.pgtenant.protocol.message.startup;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;
import java.util.LinkedHashMap;
import java.util.Map;

/** Decodes startup-phase packets the way PostgreSQL's ProcessStartupPacket reads them. */
public final class StartupPackets {

    private StartupPackets() {
    }

    /**
     * Decodes one packet given everything after its length field. Throws {@link ProtocolException}
     * with 08P01 for a malformed packet and 0A000 for a protocol version other than 3.x.
     */
    public static StartupPacket decode(ByteBuf packet) {
        int length = packet.readableBytes() + 4;
        MessageReader in = new MessageReader(packet, "startup packet");
        int code = in.readInt();
        StartupPacket decoded = switch (code) {
            case StartupPacket.SSL_REQUEST_CODE -> fixedLength(length, 8, new SslRequest(), "SSL");
            case StartupPacket.GSSENC_REQUEST_CODE -> fixedLength(length, 8, new GssEncRequest(), "GSSENC");
            case StartupPacket.CANCEL_REQUEST_CODE -> {
                if (length != CancelRequest.LENGTH) {
                    throw ProtocolException.violation("invalid length of cancel request packet: " + length);
                }
                yield new CancelRequest(in.readInt(), in.readInt());
            }
            default -> {
                if (code >>> 16 != 3) {
                    throw new ProtocolException(SqlState.FEATURE_NOT_SUPPORTED, "unsupported frontend protocol "
                            + StartupMessage.describeVersion(code) + ": server supports 3.0 to 3.0");
                }
                yield new StartupMessage(code, readParameters(in));
            }
        };
        in.expectEnd();
        return decoded;
    }

    private static StartupPacket fixedLength(int length, int expected, StartupPacket packet, String name) {
        if (length != expected) {
            throw ProtocolException.violation("invalid length of " + name + " request packet: " + length);
        }
        return packet;
    }

    private static Map<String, String> readParameters(MessageReader in) {
        Map<String, String> parameters = new LinkedHashMap<>();
        while (true) {
            if (in.remaining() == 0) {
                throw ProtocolException.violation("invalid startup packet layout: expected terminator as last byte");
            }
            String name = in.readCString();
            if (name.isEmpty()) {
                if (in.remaining() != 0) {
                    throw ProtocolException.violation("invalid startup packet layout: expected terminator as last byte");
                }
                return parameters;
            }
            if (in.remaining() == 0) {
                throw ProtocolException.violation("invalid startup packet layout: parameter \"" + name + "\" has no value");
            }
            String value = in.readCString();
            if (parameters.put(name, value) != null) {
                throw ProtocolException.violation("invalid startup packet: parameter \"" + name + "\" appears twice");
            }
        }
    }
}
