package dev.pgtenant.protocol.auth;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;

/**
 * A SCRAM exchange failed: a malformed message (08P01) or a proof that does not match (28P01).
 * The message is for logs; clients that fail a login are told only that the password failed.
 */
public final class ScramException extends ProtocolException {

    public ScramException(SqlState sqlState, String message) {
        super(sqlState, message);
    }

    static ScramException malformed(String detail) {
        return new ScramException(SqlState.PROTOCOL_VIOLATION, "malformed SCRAM message: " + detail);
    }

    static ScramException rejected(String detail) {
        return new ScramException(SqlState.INVALID_PASSWORD, detail);
    }
}
