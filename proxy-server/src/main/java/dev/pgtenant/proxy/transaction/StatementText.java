package dev.pgtenant.proxy.transaction;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A prepared statement as a client defined it: the bytes of a Parse message after the statement
 * name (query text, parameter types), kept as bytes so any client encoding survives. Its backend
 * name is derived from those bytes, so equal statements share one backend-side statement and
 * different ones can never collide.
 */
public final class StatementText {

    static final String BACKEND_PREFIX = "pgtenant_";

    private final byte[] definition;
    /** Derived on first use: an unnamed statement, parsed for every execution, never needs it. */
    private String backendName;
    /** What a Bind and a Describe of the statement expect back: made once, as a prepared statement is bound at every execution. */
    private Expectation bindReply;
    private Expectation describeReply;

    StatementText(byte[] definition) {
        this.definition = definition;
    }

    /** Query text and parameter types, exactly as the client's Parse carried them. */
    byte[] definition() {
        return definition;
    }

    public String backendName() {
        if (backendName == null) {
            backendName = BACKEND_PREFIX + HexFormat.of().formatHex(sha256(definition), 0, 16);
        }
        return backendName;
    }

    Expectation bindReply() {
        if (bindReply == null) {
            bindReply = new Expectation(Expectation.Kind.ONE_REPLY, null, this);
        }
        return bindReply;
    }

    Expectation describeReply() {
        if (describeReply == null) {
            describeReply = new Expectation(Expectation.Kind.DESCRIBE, null, this);
        }
        return describeReply;
    }

    /** The statements of the query text a session-state check must look at ({@link SessionStateScanner#statementsToCheck}). */
    List<List<String>> statementsToCheck() {
        return SessionStateScanner.statementsToCheck(definition, 0, queryEnd());
    }

    private int queryEnd() {
        int end = 0;
        while (end < definition.length && definition[end] != 0) {
            end++;
        }
        return end;
    }

    /**
     * A statement with {@code sql} in place of this one's text and the same parameters (unknown types
     * declared as text), so the client's Bind still fits it.
     */
    StatementText replacedBy(String sql) {
        int end = queryEnd();
        byte[] types = end + 1 < definition.length
                ? Arrays.copyOfRange(definition, end + 1, definition.length) : new byte[] {0, 0};
        for (int at = 2; at + 4 <= types.length; at += 4) {
            if (types[at] == 0 && types[at + 1] == 0 && types[at + 2] == 0 && types[at + 3] == 0) {
                types[at + 3] = 25;
            }
        }
        byte[] text = sql.getBytes(StandardCharsets.UTF_8);
        byte[] replaced = new byte[text.length + 1 + types.length];
        System.arraycopy(text, 0, replaced, 0, text.length);
        System.arraycopy(types, 0, replaced, text.length + 1, types.length);
        return new StatementText(replaced);
    }

    int size() {
        return definition.length + backendName().length();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StatementText that && Arrays.equals(definition, that.definition);
    }

    @Override
    public int hashCode() {
        return backendName().hashCode();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
