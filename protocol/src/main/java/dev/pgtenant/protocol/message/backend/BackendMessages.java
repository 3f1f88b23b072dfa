package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.codec.Direction;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;

/** Decodes the body of a backend frame into its typed message. */
public final class BackendMessages {

    private BackendMessages() {
    }

    public static BackendMessage decode(Frame frame) {
        if (frame.count() != 1) {
            throw ProtocolException.violation("expected one whole message of type " + Direction.describeType(frame.type())
                    + ", not " + (frame.count() == 0 ? "part of one" : "a run of " + frame.count()));
        }
        return decode(frame.type(), frame.body());
    }

    /**
     * Decodes one body; the buffer's reader index moves past what was read. Throws
     * {@link ProtocolException} for an unknown type, a truncated body, trailing bytes or a field
     * whose value the protocol does not allow.
     */
    public static BackendMessage decode(byte type, ByteBuf body) {
        MessageReader in = new MessageReader(body, name(type));
        BackendMessage message;
        try {
            message = switch (type) {
                case 'R' -> Authentication.decode(in);
                case 'K' -> BackendKeyData.decode(in);
                case '2' -> new BindComplete();
                case '3' -> new CloseComplete();
                case 'C' -> CommandComplete.decode(in);
                case 'd' -> CopyData.decode(in);
                case 'c' -> new CopyDone();
                case 'G', 'H', 'W' -> CopyResponse.decode(type, in);
                case 'D' -> DataRow.decode(in);
                case 'I' -> new EmptyQueryResponse();
                case 'E' -> ErrorResponse.decode(in);
                case 'V' -> FunctionCallResponse.decode(in);
                case 'v' -> NegotiateProtocolVersion.decode(in);
                case 'n' -> new NoData();
                case 'N' -> NoticeResponse.decode(in);
                case 'A' -> NotificationResponse.decode(in);
                case 't' -> ParameterDescription.decode(in);
                case 'S' -> ParameterStatus.decode(in);
                case '1' -> new ParseComplete();
                case 's' -> new PortalSuspended();
                case 'Z' -> ReadyForQuery.decode(in);
                case 'T' -> RowDescription.decode(in);
                default -> throw ProtocolException.violation("invalid backend message type "
                        + Direction.describeType(type));
            };
        } catch (IllegalArgumentException e) {
            throw in.malformed(e.getMessage());
        }
        in.expectEnd();
        return message;
    }

    private static String name(byte type) {
        return switch (type) {
            case 'R' -> "Authentication";
            case 'K' -> "BackendKeyData";
            case 'C' -> "CommandComplete";
            case 'G' -> "CopyInResponse";
            case 'H' -> "CopyOutResponse";
            case 'W' -> "CopyBothResponse";
            case 'D' -> "DataRow";
            case 'E' -> "ErrorResponse";
            case 'V' -> "FunctionCallResponse";
            case 'v' -> "NegotiateProtocolVersion";
            case 'N' -> "NoticeResponse";
            case 'A' -> "NotificationResponse";
            case 't' -> "ParameterDescription";
            case 'S' -> "ParameterStatus";
            case 'Z' -> "ReadyForQuery";
            case 'T' -> "RowDescription";
            default -> "backend '" + (char) type + "'";
        };
    }
}
