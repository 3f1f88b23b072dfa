package dev.pgtenant.proxy.transaction;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The statements prepared on one backend connection, least recently used first. Bounded: when full,
 * the oldest is chosen for eviction and the caller deallocates it on the backend. Used only by the
 * session holding the connection, so it needs no locking.
 */
public final class BackendStatements {

    private final int limit;
    private final LinkedHashMap<String, Boolean> prepared = new LinkedHashMap<>(16, 0.75f, true);

    public BackendStatements(int limit) {
        this.limit = limit;
    }

    /** Whether the statement exists on the backend; counts as a use. */
    boolean contains(String backendName) {
        return prepared.get(backendName) != null;
    }

    void add(String backendName) {
        prepared.put(backendName, Boolean.TRUE);
    }

    /** The least recently used statement when adding one more would pass the limit, else null. */
    String evictionCandidate() {
        if (prepared.size() < limit) {
            return null;
        }
        Iterator<Map.Entry<String, Boolean>> oldest = prepared.entrySet().iterator();
        return oldest.next().getKey();
    }

    void remove(String backendName) {
        prepared.remove(backendName);
    }

    public int size() {
        return prepared.size();
    }

    /** Forgets everything, after the backend's statements were deallocated (DISCARD ALL). */
    public void clear() {
        prepared.clear();
    }
}
