package dev.pgtenant.protocol;

import java.util.Objects;

/**
 * Input that breaks the PostgreSQL protocol, or a limit the protocol layer enforces. Always carries
 * the SQLSTATE the peer should be told, so a session can turn it into an ErrorResponse directly.
 */
public class ProtocolException extends RuntimeException {

    private final SqlState sqlState;

    public ProtocolException(SqlState sqlState, String message) {
        super(message);
        this.sqlState = Objects.requireNonNull(sqlState, "sqlState");
    }

    public ProtocolException(SqlState sqlState, String message, Throwable cause) {
        super(message, cause);
        this.sqlState = Objects.requireNonNull(sqlState, "sqlState");
    }

    /** A protocol violation (08P01), the code PostgreSQL uses for malformed messages. */
    public static ProtocolException violation(String message) {
        return new ProtocolException(SqlState.PROTOCOL_VIOLATION, message);
    }

    public SqlState sqlState() {
        return sqlState;
    }
}
