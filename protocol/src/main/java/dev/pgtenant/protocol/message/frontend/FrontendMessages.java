package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.codec.Direction;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;

/** Decodes the body of a frontend frame into its typed message. */
public final class FrontendMessages {

    /**
     * The three messages of type 'p' share a type byte; which one a body holds depends on what the
     * server asked for, so the caller says which it expects.
     */
    public enum AuthResponseKind { PASSWORD, SASL_INITIAL, SASL }

    private FrontendMessages() {
    }

    public static FrontendMessage decode(Frame frame, AuthResponseKind expected) {
        return decode(frame.type(), frame.body(), expected);
    }

    /** Decodes a message outside an authentication exchange, where 'p' is a password. */
    public static FrontendMessage decode(Frame frame) {
        return decode(frame.type(), frame.body(), AuthResponseKind.PASSWORD);
    }

    /**
     * Decodes one body; the buffer's reader index moves past what was read. Throws
     * {@link ProtocolException} for an unknown type, a truncated body, trailing bytes or a field
     * whose value the protocol does not allow.
     */
    public static FrontendMessage decode(byte type, ByteBuf body, AuthResponseKind expected) {
        MessageReader in = new MessageReader(body, name(type, expected));
        FrontendMessage message;
        try {
            message = switch (type) {
                case 'B' -> Bind.decode(in);
                case 'C' -> Close.decode(in);
                case 'd' -> CopyData.decode(in);
                case 'c' -> new CopyDone();
                case 'f' -> CopyFail.decode(in);
                case 'D' -> Describe.decode(in);
                case 'E' -> Execute.decode(in);
                case 'H' -> new Flush();
                case 'F' -> FunctionCall.decode(in);
                case 'P' -> Parse.decode(in);
                case 'p' -> switch (expected) {
                    case PASSWORD -> PasswordMessage.decode(in);
                    case SASL_INITIAL -> SaslInitialResponse.decode(in);
                    case SASL -> SaslResponse.decode(in);
                };
                case 'Q' -> Query.decode(in);
                case 'S' -> new Sync();
                case 'X' -> new Terminate();
                default -> throw ProtocolException.violation("invalid frontend message type "
                        + Direction.describeType(type));
            };
        } catch (IllegalArgumentException e) {
            throw in.malformed(e.getMessage());
        }
        in.expectEnd();
        return message;
    }

    static PortalOrStatement readTarget(MessageReader in) {
        byte code = in.readByte();
        PortalOrStatement target = PortalOrStatement.valueOf(code);
        if (target == null) {
            throw in.malformed("expected 'S' or 'P' but got " + Direction.describeType(code));
        }
        return target;
    }

    private static String name(byte type, AuthResponseKind expected) {
        return switch (type) {
            case 'B' -> "Bind";
            case 'C' -> "Close";
            case 'd' -> "CopyData";
            case 'f' -> "CopyFail";
            case 'D' -> "Describe";
            case 'E' -> "Execute";
            case 'F' -> "FunctionCall";
            case 'P' -> "Parse";
            case 'p' -> switch (expected) {
                case PASSWORD -> "PasswordMessage";
                case SASL_INITIAL -> "SASLInitialResponse";
                case SASL -> "SASLResponse";
            };
            case 'Q' -> "Query";
            default -> "frontend " + Direction.describeType(type);
        };
    }
}
