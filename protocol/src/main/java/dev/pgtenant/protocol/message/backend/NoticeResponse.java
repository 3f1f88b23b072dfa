package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageReader;
import java.util.Map;

/** A notice or warning ('N'): same fields as an error, but nothing fails. */
public record NoticeResponse(Map<Character, String> fields) implements ServerNotice {

    public NoticeResponse {
        fields = ServerNotice.copyFields(fields);
    }

    static NoticeResponse decode(MessageReader in) {
        return new NoticeResponse(ServerNotice.readFields(in));
    }

    @Override
    public byte type() {
        return 'N';
    }
}
