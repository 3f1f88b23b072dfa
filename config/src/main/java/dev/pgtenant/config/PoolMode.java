package dev.pgtenant.config;

import java.util.Locale;

/** How long a client keeps its backend connection. */
public enum PoolMode {
    /** From login to disconnect. */
    SESSION,
    /** For one transaction (or one extended-protocol batch up to Sync). */
    TRANSACTION;

    public static PoolMode parse(String text, String key) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + " must be session or transaction, not \"" + text + "\"");
        }
    }
}
