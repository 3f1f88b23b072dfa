package dev.pgtenant.proxy.transaction;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import java.util.HashMap;
import java.util.Map;

/**
 * One client's named prepared statements, kept across the backends transaction pooling gives it:
 * each name's text, which the relay prepares on a backend that lacks it. The texts are bounded in
 * bytes as well as in number (the relay counts them against pool.maxClientStatements), since each
 * may be as long as a message.
 */
final class ClientStatements {

    /** Shared by the clients that have prepared nothing yet, as most have; it cannot be changed. */
    static final ClientStatements NONE = new ClientStatements(Map.of());
    /** The SQL a client's named statements may hold in all, as much as one message of the default maxMessageSize. */
    static final long MAX_BYTES = 64L * 1024 * 1024;

    private final Map<String, StatementText> byName;
    /** The bytes of SQL in {@link #byName}. */
    private long bytes;

    ClientStatements() {
        this(new HashMap<>());
    }

    private ClientStatements(Map<String, StatementText> byName) {
        this.byName = byName;
    }

    /** The statement of that name, or null. */
    StatementText get(String name) {
        return byName.isEmpty() ? null : byName.get(name);
    }

    boolean contains(String name) {
        return get(name) != null;
    }

    int size() {
        return byName.size();
    }

    /** Keeps a new statement's text; refused when the session's statements would hold too much SQL. */
    void remember(String name, StatementText text) {
        if (bytes + text.definition().length > MAX_BYTES) {
            throw new ProtocolException(SqlState.PROGRAM_LIMIT_EXCEEDED, "this session's prepared statements hold more than "
                    + MAX_BYTES / (1024 * 1024) + " MB of SQL, the most pgtenant keeps for one client; close some first");
        }
        restore(name, text);
    }

    /** Keeps a statement the client had, whose Close did not happen after all: within the bound it was kept in. */
    void restore(String name, StatementText text) {
        StatementText replaced = byName.put(name, text);
        bytes += text.definition().length - (replaced == null ? 0 : replaced.definition().length);
    }

    /** Forgets the statement of that name; returns it, or null when there was none. */
    StatementText forget(String name) {
        StatementText forgotten = byName.isEmpty() ? null : byName.remove(name);
        if (forgotten != null) {
            bytes -= forgotten.definition().length;
        }
        return forgotten;
    }

    void forgetAll() {
        if (!byName.isEmpty()) {
            byName.clear();
            bytes = 0;
        }
    }
}
