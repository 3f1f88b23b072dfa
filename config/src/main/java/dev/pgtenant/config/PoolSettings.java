package dev.pgtenant.config;

import java.time.Duration;

/**
 * Backend pool limits and the pooling mode. Each organization database (with its backend role) has
 * its own pool of at most {@code maxSize} connections; all pools on one backend server share
 * {@code maxServerConnections}.
 */
public record PoolSettings(String mode, Integer maxSize, Integer minIdle, Duration idleTimeout, Duration maxLifetime,
                           Duration acquireTimeout, Integer maxServerConnections, Duration connectTimeout,
                           String resetQuery, Integer maxPreparedStatements, Integer maxClientStatements,
                           Boolean pinSessionState) {

    public static final PoolSettings DEFAULTS = new PoolSettings(null, null, null, null, null, null, null, null, null,
            null, null, null);

    public PoolSettings {
        mode = mode == null ? "session" : PoolMode.parse(mode, "pool.mode").name().toLowerCase(java.util.Locale.ROOT);
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
        maxPreparedStatements = positive(maxPreparedStatements == null ? 500 : maxPreparedStatements,
                "pool.maxPreparedStatements");
        maxClientStatements = positive(maxClientStatements == null ? 5000 : maxClientStatements,
                "pool.maxClientStatements");
        pinSessionState = pinSessionState == null || pinSessionState;
    }

    public PoolMode poolMode() {
        return PoolMode.parse(mode, "pool.mode");
    }

    /** The same settings with another default mode. */
    public PoolSettings withMode(PoolMode value) {
        return new PoolSettings(value.name().toLowerCase(java.util.Locale.ROOT), maxSize, minIdle, idleTimeout,
                maxLifetime, acquireTimeout, maxServerConnections, connectTimeout, resetQuery, maxPreparedStatements,
                maxClientStatements, pinSessionState);
    }

    private static int positive(int value, String key) {
        if (value < 1) {
            throw new ConfigException(key + " must be at least 1");
        }
        return value;
    }
}
