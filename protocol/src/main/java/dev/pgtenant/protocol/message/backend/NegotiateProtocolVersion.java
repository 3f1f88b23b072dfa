package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Tells a client that asked for a newer 3.x minor version, or for {@code _pq_.} options, which minor
 * version the server speaks and which options it did not recognise ('v').
 */
public record NegotiateProtocolVersion(int newestMinorVersion, List<String> unrecognizedOptions)
        implements BackendMessage {

    public NegotiateProtocolVersion {
        unrecognizedOptions = List.copyOf(unrecognizedOptions);
        unrecognizedOptions.forEach(o -> MessageWriter.requireCString(o, "option"));
    }

    static NegotiateProtocolVersion decode(MessageReader in) {
        int newestMinor = in.readInt();
        int count = in.readInt();
        if (count < 0 || count > in.remaining()) {
            throw in.malformed("option count " + count + " does not fit the message");
        }
        List<String> options = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            options.add(in.readCString());
        }
        return new NegotiateProtocolVersion(newestMinor, options);
    }

    @Override
    public byte type() {
        return 'v';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeInt(newestMinorVersion);
        out.writeInt(unrecognizedOptions.size());
        unrecognizedOptions.forEach(o -> MessageWriter.writeCString(out, o));
    }
}
