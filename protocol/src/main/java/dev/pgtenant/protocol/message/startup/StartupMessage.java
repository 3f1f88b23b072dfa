package dev.pgtenant.protocol.message.startup;

import dev.pgtenant.protocol.codec.MessageWriter;
import dev.pgtenant.protocol.message.backend.NegotiateProtocolVersion;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Opens a session: the protocol version and the session parameters ({@code user}, {@code database},
 * {@code application_name}, {@code options}, ...) in the order the client sent them.
 */
public record StartupMessage(int protocolVersion, Map<String, String> parameters) implements StartupPacket {

    /** Options with this prefix are protocol extensions, not session parameters. */
    public static final String PROTOCOL_OPTION_PREFIX = "_pq_.";

    public StartupMessage {
        if (protocolVersion >>> 16 != 3) {
            throw new IllegalArgumentException("only protocol 3.x startup messages exist, not "
                    + describeVersion(protocolVersion));
        }
        Map<String, String> copy = new LinkedHashMap<>();
        parameters.forEach((name, value) -> {
            if (MessageWriter.requireCString(name, "parameter name").isEmpty()) {
                throw new IllegalArgumentException("a parameter name must not be empty");
            }
            copy.put(name, MessageWriter.requireCString(value, "parameter " + name));
        });
        parameters = Collections.unmodifiableMap(copy);
    }

    public StartupMessage(Map<String, String> parameters) {
        this(PROTOCOL_3_0, parameters);
    }

    public String user() {
        return parameters.get("user");
    }

    /** The database asked for; PostgreSQL defaults it to the user name when absent. */
    public String database() {
        return parameters.get("database");
    }

    public int minorVersion() {
        return protocolVersion & 0xFFFF;
    }

    /**
     * What PostgreSQL answers before authentication when the client asked for a minor version
     * newer than 3.0 or for protocol options: the newest minor version spoken here (0) and the
     * options not recognised (all of them). Empty when the client asked for neither.
     */
    public Optional<NegotiateProtocolVersion> negotiation() {
        // A loop, not a stream: every login asks, and almost none has anything to negotiate.
        List<String> options = null;
        for (String name : parameters.keySet()) {
            if (name.startsWith(PROTOCOL_OPTION_PREFIX)) {
                options = options == null ? new ArrayList<>() : options;
                options.add(name);
            }
        }
        if (minorVersion() == 0 && options == null) {
            return Optional.empty();
        }
        return Optional.of(new NegotiateProtocolVersion(0, options == null ? List.of() : options));
    }

    @Override
    public int code() {
        return protocolVersion;
    }

    @Override
    public void writeBody(ByteBuf out) {
        parameters.forEach((name, value) -> {
            MessageWriter.writeCString(out, name);
            MessageWriter.writeCString(out, value);
        });
        out.writeByte(0);
    }

    static String describeVersion(int version) {
        return (version >>> 16) + "." + (version & 0xFFFF);
    }
}
