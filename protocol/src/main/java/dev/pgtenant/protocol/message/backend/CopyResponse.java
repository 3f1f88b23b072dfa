package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * The server enters a COPY mode: CopyInResponse ('G'), CopyOutResponse ('H') or CopyBothResponse
 * ('W'). All three carry the overall format (0 text, 1 binary) and one format per column.
 */
public sealed interface CopyResponse extends BackendMessage {

    int format();

    List<Short> columnFormats();

    @Override
    default void writeBody(ByteBuf out) {
        out.writeByte(format());
        out.writeShort(columnFormats().size());
        columnFormats().forEach(out::writeShort);
    }

    static CopyResponse decode(byte type, MessageReader in) {
        int format = in.readByte();
        int count = in.readCount("column format", 2);
        List<Short> columnFormats = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            columnFormats.add(in.readShort());
        }
        return switch (type) {
            case 'G' -> new CopyInResponse(format, columnFormats);
            case 'H' -> new CopyOutResponse(format, columnFormats);
            default -> new CopyBothResponse(format, columnFormats);
        };
    }

    private static List<Short> checked(int format, List<Short> columnFormats) {
        if (format != 0 && format != 1) {
            throw new IllegalArgumentException("copy format must be 0 (text) or 1 (binary), not " + format);
        }
        if (columnFormats.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many columns: " + columnFormats.size());
        }
        return List.copyOf(columnFormats);
    }

    record CopyInResponse(int format, List<Short> columnFormats) implements CopyResponse {
        public CopyInResponse {
            columnFormats = checked(format, columnFormats);
        }

        @Override
        public byte type() {
            return 'G';
        }
    }

    record CopyOutResponse(int format, List<Short> columnFormats) implements CopyResponse {
        public CopyOutResponse {
            columnFormats = checked(format, columnFormats);
        }

        @Override
        public byte type() {
            return 'H';
        }
    }

    record CopyBothResponse(int format, List<Short> columnFormats) implements CopyResponse {
        public CopyBothResponse {
            columnFormats = checked(format, columnFormats);
        }

        @Override
        public byte type() {
            return 'W';
        }
    }
}
