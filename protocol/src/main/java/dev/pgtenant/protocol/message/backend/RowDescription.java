package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/** Describes the columns of the rows that follow ('T'). */
public record RowDescription(List<Column> columns) implements BackendMessage {

    /** Smallest encoded column: an empty name's terminator and 18 bytes of fixed fields. */
    private static final int MIN_COLUMN_SIZE = 19;

    public record Column(String name, int tableOid, short columnNumber, int typeOid, short typeSize,
                         int typeModifier, short format) {
        public Column {
            MessageWriter.requireCString(name, "name");
        }

        /** A text-format column not taken from a table, as pgtenant's own result sets use. */
        public static Column text(String name, int typeOid) {
            return new Column(name, 0, (short) 0, typeOid, (short) -1, -1, (short) 0);
        }
    }

    public RowDescription {
        if (columns.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many columns: " + columns.size());
        }
        columns = List.copyOf(columns);
    }

    static RowDescription decode(MessageReader in) {
        int count = in.readCount("column", MIN_COLUMN_SIZE);
        List<Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            columns.add(new Column(in.readCString(), in.readInt(), in.readShort(), in.readInt(),
                    in.readShort(), in.readInt(), in.readShort()));
        }
        return new RowDescription(columns);
    }

    @Override
    public byte type() {
        return 'T';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeShort(columns.size());
        for (Column column : columns) {
            MessageWriter.writeCString(out, column.name());
            out.writeInt(column.tableOid());
            out.writeShort(column.columnNumber());
            out.writeInt(column.typeOid());
            out.writeShort(column.typeSize());
            out.writeInt(column.typeModifier());
            out.writeShort(column.format());
        }
    }
}
