package dev.pgtenant.proxy.session;

import dev.pgtenant.protocol.message.backend.BackendKeyData;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The keys pgtenant gives its clients in BackendKeyData, in place of the backends' own: a client
 * never learns a backend's key, and a cancel reaches only the backend serving the session that
 * holds the key.
 */
public final class CancelKeys {

    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger nextProcessId = new AtomicInteger(random.nextInt(1 << 20) + 1);
    private final Map<Integer, Entry> sessions = new ConcurrentHashMap<>();

    private record Entry(int secret, ClientSession session) {
    }

    public BackendKeyData issue(ClientSession session) {
        int processId = nextProcessId.getAndUpdate(id -> id == Integer.MAX_VALUE ? 1 : id + 1);
        int secret = random.nextInt();
        sessions.put(processId, new Entry(secret, session));
        return new BackendKeyData(processId, secret);
    }

    public void retire(BackendKeyData key) {
        sessions.remove(key.processId());
    }

    /** The session holding this key, or {@code null}; the secret is compared in constant time. */
    public ClientSession find(int processId, int secret) {
        Entry entry = sessions.get(processId);
        if (entry == null || !MessageDigest.isEqual(bytes(entry.secret), bytes(secret))) {
            return null;
        }
        return entry.session;
    }

    private static byte[] bytes(int value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }
}
