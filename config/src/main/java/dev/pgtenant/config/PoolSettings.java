package dev.pgtenant.config;

import java.time.Duration;

/**
 * Backend pool limits. Each organization database (with its backend role) has its own pool of at
 * most {@code maxSize} connections; all pools on one backend server share
 * {@code maxServerConnections}.
 */
public record PoolSettings(String mode, Integer maxSize, Integer minIdle, Duration idleTimeout, Duration maxLifetime,
                           Duration acquireTimeout, Integer maxServerConnections, Duration connectTimeout,
                           String resetQuery) {

    public static final PoolSettings DEFAULTS = new PoolSettings("session", 20, 0, Duration.ofMinutes(10),
            Duration.ofHours(1), Duration.ofSeconds(30), 90, Duration.ofSeconds(10), "DISCARD ALL");

    public PoolSettings {
        mode = mode == null ? "session" : mode;
        if (!mode.equals("session")) {
            throw new ConfigException("pool.mode \"" + mode + "\" is not supported; use session");
        }
        maxSize = positive(maxSize == null ? 20 : maxSize, "pool.maxSize");
        minIdle = minIdle == null ? 0 : minIdle;
        if (minIdle < 0 || minIdle > maxSize) {
            throw new ConfigException("pool.minIdle must be between 0 and pool.maxSize");
        }
        idleTimeout = idleTimeout == null ? Duration.ofMinutes(10) : idleTimeout;
        maxLifetime = maxLifetime == null ? Duration.ofHours(1) : maxLifetime;
        acquireTimeout = acquireTimeout == null ? Duration.ofSeconds(30) : acquireTimeout;
        maxServerConnections = positive(maxServerConnections == null ? 90 : maxServerConnections, "pool.maxServerConnections");
        connectTimeout = connectTimeout == null ? Duration.ofSeconds(10) : connectTimeout;
        resetQuery = resetQuery == null ? "DISCARD ALL" : resetQuery;
    }

    private static int positive(int value, String key) {
        if (value < 1) {
            throw new ConfigException(key + " must be at least 1");
        }
        return value;
    }
}
