package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;
import java.util.Objects;

/** The server is ready for a new query; says whether a transaction is open ('Z'). */
public record ReadyForQuery(TransactionStatus status) implements BackendMessage {

    public enum TransactionStatus {
        IDLE('I'),
        IN_TRANSACTION('T'),
        FAILED_TRANSACTION('E');

        private final byte code;

        TransactionStatus(char code) {
            this.code = (byte) code;
        }

        public byte code() {
            return code;
        }

        /** The status for a code byte, or {@code null} when the byte is not a status. */
        public static TransactionStatus valueOf(byte code) {
            return switch (code) {
                case 'I' -> IDLE;
                case 'T' -> IN_TRANSACTION;
                case 'E' -> FAILED_TRANSACTION;
                default -> null;
            };
        }
    }

    public ReadyForQuery {
        Objects.requireNonNull(status, "status");
    }

    static ReadyForQuery decode(MessageReader in) {
        byte code = in.readByte();
        TransactionStatus status = TransactionStatus.valueOf(code);
        if (status == null) {
            throw in.malformed("unknown transaction status 0x" + Integer.toHexString(code & 0xFF));
        }
        return new ReadyForQuery(status);
    }

    @Override
    public byte type() {
        return 'Z';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeByte(status.code());
    }
}
