package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ErrorResponse and NoticeResponse share one body: a list of fields, each a code byte and a string.
 * Fields are kept in arrival order so a relayed message re-encodes to the same bytes.
 */
public sealed interface ServerNotice extends BackendMessage permits ErrorResponse, NoticeResponse {

    char SEVERITY = 'S';
    char SEVERITY_NONLOCALIZED = 'V';
    char CODE = 'C';
    char MESSAGE = 'M';
    char DETAIL = 'D';
    char HINT = 'H';
    char POSITION = 'P';
    char INTERNAL_POSITION = 'p';
    char INTERNAL_QUERY = 'q';
    char WHERE = 'W';
    char SCHEMA_NAME = 's';
    char TABLE_NAME = 't';
    char COLUMN_NAME = 'c';
    char DATA_TYPE_NAME = 'd';
    char CONSTRAINT_NAME = 'n';
    char FILE = 'F';
    char LINE = 'L';
    char ROUTINE = 'R';

    Map<Character, String> fields();

    default String severity() {
        return fields().get(SEVERITY);
    }

    /** The SQLSTATE, or {@code null} when the server sent none. */
    default String sqlState() {
        return fields().get(CODE);
    }

    default String message() {
        return fields().get(MESSAGE);
    }

    @Override
    default void writeBody(ByteBuf out) {
        fields().forEach((code, value) -> {
            out.writeByte(code);
            MessageWriter.writeCString(out, value);
        });
        out.writeByte(0);
    }

    static Map<Character, String> copyFields(Map<Character, String> fields) {
        Map<Character, String> copy = new LinkedHashMap<>();
        fields.forEach((code, value) -> {
            if (code == 0 || code > 0x7F) {
                throw new IllegalArgumentException("field code must be a non-zero ASCII character");
            }
            copy.put(code, MessageWriter.requireCString(value, "field " + code));
        });
        return Collections.unmodifiableMap(copy);
    }

    static Map<Character, String> readFields(MessageReader in) {
        Map<Character, String> fields = new LinkedHashMap<>();
        for (byte code = in.readByte(); code != 0; code = in.readByte()) {
            if (code < 0) {
                throw in.malformed("field code 0x" + Integer.toHexString(code & 0xFF) + " is not ASCII");
            }
            if (fields.put((char) code, in.readCString()) != null) {
                throw in.malformed("field '" + (char) code + "' appears twice");
            }
        }
        return fields;
    }
}
