package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.codec.MessageReader;
import java.util.LinkedHashMap;
import java.util.Map;

/** An error ('E'). The factories build the errors pgtenant itself reports to clients. */
public record ErrorResponse(Map<Character, String> fields) implements ServerNotice {

    /** Severities of errors: ERROR ends the statement, FATAL the session. */
    public enum Severity { ERROR, FATAL, PANIC }

    public ErrorResponse {
        fields = ServerNotice.copyFields(fields);
    }

    /** An error that ends the client's session, such as a failed login. */
    public static ErrorResponse fatal(SqlState sqlState, String message) {
        return of(Severity.FATAL, sqlState, message, null);
    }

    /** An error that fails the current statement and leaves the session usable. */
    public static ErrorResponse error(SqlState sqlState, String message) {
        return of(Severity.ERROR, sqlState, message, null);
    }

    /** A fatal error for input that broke the protocol. */
    public static ErrorResponse fatal(ProtocolException problem) {
        return fatal(problem.sqlState(), problem.getMessage());
    }

    public static ErrorResponse of(Severity severity, SqlState sqlState, String message, String hint) {
        return of(severity, sqlState.code(), message, hint);
    }

    /** An error with any SQLSTATE, such as one a backend reported that the proxy passes on. */
    public static ErrorResponse of(Severity severity, String sqlState, String message, String hint) {
        Map<Character, String> fields = new LinkedHashMap<>();
        fields.put(SEVERITY, severity.name());
        fields.put(SEVERITY_NONLOCALIZED, severity.name());
        fields.put(CODE, sqlState);
        fields.put(MESSAGE, withoutNul(message));
        if (hint != null) {
            fields.put(HINT, withoutNul(hint));
        }
        return new ErrorResponse(fields);
    }

    /**
     * A message may quote what a client or backend sent, which can hold a NUL that no protocol string
     * can carry: shown as {@code \0}, so that the error still reaches the client.
     */
    private static String withoutNul(String text) {
        return text.indexOf('\0') < 0 ? text : text.replace("\0", "\\0");
    }

    static ErrorResponse decode(MessageReader in) {
        return new ErrorResponse(ServerNotice.readFields(in));
    }

    @Override
    public byte type() {
        return 'E';
    }
}
