package dev.pgtenant.proxy.transaction;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One immutable copy of each distinct set of client settings, shared by every session that has it.
 * Most clients of an application send the same settings, so sessions hold one map between them
 * instead of one each, and a backend can tell by identity that it already has a client's settings
 * (see {@code BackendConnection#settledFor}). Distinct sets are kept up to a bound, since a client
 * can invent any number of them; past it, sessions keep copies of their own.
 */
public final class SharedSettings {

    static final int MAX_DISTINCT = 1024;

    private final ConcurrentHashMap<Map<String, String>, Map<String, String>> shared = new ConcurrentHashMap<>();

    /** An immutable map equal to {@code settings}: the shared one when there is one. */
    public Map<String, String> share(Map<String, String> settings) {
        if (settings.isEmpty()) {
            return Map.of();
        }
        Map<String, String> known = shared.get(settings);
        if (known != null) {
            return known;
        }
        Map<String, String> copy = Map.copyOf(settings);
        if (shared.size() >= MAX_DISTINCT) {
            return copy;
        }
        Map<String, String> raced = shared.putIfAbsent(copy, copy);
        return raced != null ? raced : copy;
    }
}
