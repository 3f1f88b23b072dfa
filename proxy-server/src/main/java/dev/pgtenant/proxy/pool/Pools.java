package dev.pgtenant.proxy.pool;

import dev.pgtenant.config.PoolSettings;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.proxy.backend.BackendConnector;
import dev.pgtenant.proxy.backend.BackendTarget;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every backend pool of the proxy, created on first use, grouped by server for the per-server
 * budget, and kept in shape by a once-a-second maintenance pass (idle timeouts, lifetimes, minIdle).
 */
public final class Pools implements AutoCloseable {

    private final PoolSettings settings;
    private final BackendConnector connector;
    private final Map<BackendTarget, BackendPool> pools = new ConcurrentHashMap<>();
    private final Map<BackendAddress, BackendServer> servers = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> maintenance;
    /** Whether the registry as it is now routes to a target; asked only when a pool is made. */
    private final java.util.function.Predicate<BackendTarget> routedNow;

    public Pools(PoolSettings settings, BackendConnector connector, EventExecutor janitor,
                 java.util.function.Predicate<BackendTarget> routedNow) {
        this.settings = settings;
        this.connector = connector;
        this.routedNow = routedNow;
        this.maintenance = janitor.scheduleWithFixedDelay(this::maintain, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * The pool of {@code target}, made on first use. A login that routed by the registry before a
     * change may ask for a target the change no longer routes after the change retired its pools: a
     * pool made for a target the registry as it is now does not route is retired at once, since no
     * later change would retire it. The registry's new snapshot is stored before the change looks at
     * the pools, and this adds the pool before it reads the snapshot, so one of the two sees the other.
     */
    public BackendPool pool(BackendTarget target) {
        BackendPool existing = pools.get(target);
        if (existing != null) {
            return existing;
        }
        BackendPool[] made = new BackendPool[1];
        BackendPool pool = pools.computeIfAbsent(target, t -> {
            BackendServer server = servers.computeIfAbsent(t.server(),
                    address -> new BackendServer(address, settings.maxServerConnections()));
            made[0] = new BackendPool(t, server, settings, connector);
            server.add(made[0]);
            return made[0];
        });
        if (pool == made[0] && !routedNow.test(target) && pools.remove(target, pool)) {
            pool.retire();
        }
        return pool;
    }

    /** Connections open or opening to a server, across all its pools. */
    public int serverConnections(BackendAddress server) {
        BackendServer known = servers.get(server);
        return known == null ? 0 : known.total();
    }

    /** Retires the pools whose target is not {@code routed}: they serve no new client. */
    public void retainOnly(java.util.function.Predicate<BackendTarget> routed) {
        for (BackendTarget target : List.copyOf(pools.keySet())) {
            if (!routed.test(target)) {
                BackendPool pool = pools.remove(target);
                if (pool != null) {
                    pool.retire();
                }
            }
        }
    }

    public List<BackendPool> all() {
        return List.copyOf(pools.values());
    }

    private void maintain() {
        for (BackendServer server : servers.values()) {
            server.pools().forEach(BackendPool::maintain);
            server.dispatch();
        }
    }

    @Override
    public void close() {
        maintenance.cancel(false);
        pools.values().forEach(pool -> pool.closeAll("pgtenant is shutting down"));
    }
}
