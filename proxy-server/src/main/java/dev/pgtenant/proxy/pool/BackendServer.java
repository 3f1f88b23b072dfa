package dev.pgtenant.proxy.pool;

import dev.pgtenant.config.registry.BackendAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One PostgreSQL server and its connection budget, shared by the pools of every database on it.
 * Its monitor guards the books of all those pools, so a slot moves between organizations in one
 * step. When the budget is spent, a pool that needs a connection may close another pool's idle one;
 * when a connection is released while another organization is starved, the slot goes to the
 * organization holding fewer connections, so a noisy organization cannot starve the others.
 */
final class BackendServer {

    private final BackendAddress address;
    private final int maxConnections;
    private final List<BackendPool> pools = new ArrayList<>();
    /**
     * Pools that have had waiting clients since the last dispatch: the only ones dispatch looks at.
     * A list walked by index, each pool in it once ({@link BackendPool#listedWaitingLocked}): it is
     * read at every release and every wait, so walking it allocates nothing.
     */
    private final List<BackendPool> waiting = new ArrayList<>();
    private int total;
    private int evicting;

    BackendServer(BackendAddress address, int maxConnections) {
        this.address = address;
        this.maxConnections = maxConnections;
    }

    BackendAddress address() {
        return address;
    }

    synchronized void add(BackendPool pool) {
        pools.add(pool);
    }

    /** Called with the monitor held, when a pool is retired. */
    void remove(BackendPool pool) {
        pools.remove(pool);
        if (pool.listedWaitingLocked(false)) {
            waiting.remove(pool);
        }
    }

    /** Connections open or opening to this server, across its pools. */
    synchronized int total() {
        return total;
    }

    int maxConnections() {
        return maxConnections;
    }

    /** Called with the monitor held. */
    void opened() {
        total++;
    }

    /** Called with the monitor held, when a connection starts closing to free its slot for another pool. */
    void evictingLocked() {
        evicting++;
    }

    /** Called with the monitor held, once a connection's socket has closed. */
    void closed(boolean evicted) {
        total--;
        if (evicted) {
            evicting--;
        }
    }

    /** Called with the monitor held, when a client starts waiting in {@code pool}. */
    void waitingIn(BackendPool pool) {
        if (!pool.listedWaitingLocked(true)) {
            waiting.add(pool);
        }
    }

    /** Called with the monitor held: whether any pool on this server has had waiting clients since the last dispatch. */
    boolean anyWaitingLocked() {
        return !waiting.isEmpty();
    }

    /** Called with the monitor held. */
    boolean hasRoom() {
        return total < maxConnections;
    }

    /**
     * Matches waiting clients with idle connections and opens connections where budgets allow,
     * pools with the fewest connections first. Work that leaves the monitor (handing over,
     * connecting, closing) is collected and run after it is released.
     */
    void dispatch() {
        List<Runnable> actions;
        synchronized (this) {
            if (!anythingToDispatchLocked()) {
                return;
            }
            actions = new ArrayList<>();
            List<BackendPool> byLoad = new ArrayList<>(waiting);
            byLoad.sort(Comparator.comparingInt(BackendPool::totalLocked));
            for (BackendPool pool : byLoad) {
                pool.handOutIdleLocked(actions);
            }
            for (BackendPool pool : byLoad) {
                while (pool.needsConnectionLocked()) {
                    if (!hasRoom()) {
                        // The slot frees when the evicted socket has closed; that close dispatches again.
                        if (evicting == 0 && evictIdleLocked(pool, actions)) {
                            evictingLocked();
                        }
                        break;
                    }
                    pool.openLocked(actions);
                }
            }
        }
        actions.forEach(Runnable::run);
    }

    /**
     * Whether a waiting client could get an idle connection or a new one. Drops pools nobody waits in
     * any more. Most calls find nothing to do: releases and acquires with nobody waiting, and, when
     * clients outnumber connections, with every connection in use; those skip dispatch's sorting.
     */
    private boolean anythingToDispatchLocked() {
        if (waiting.isEmpty()) {
            return false;
        }
        boolean found = false;
        for (int i = waiting.size() - 1; i >= 0; i--) {
            BackendPool pool = waiting.get(i);
            if (!pool.hasWaitersLocked()) {
                pool.listedWaitingLocked(false);
                waiting.remove(i);
            } else if (pool.idleCountLocked() > 0 || pool.needsConnectionLocked()) {
                found = true;
            }
        }
        return found;
    }

    /**
     * A pool, other than {@code releasing}, with clients waiting that the budget keeps from connecting;
     * null while a connection closing for one is still in the budget (or there is room): each release
     * would otherwise close one more for the same clients before the first close had freed its slot.
     */
    BackendPool starvedPoolLocked(BackendPool releasing) {
        if (waiting.isEmpty() || evicting > 0 || hasRoom()) {
            return null;
        }
        BackendPool starved = null;
        for (int i = 0; i < waiting.size(); i++) {
            BackendPool pool = waiting.get(i);
            if (pool != releasing && pool.needsConnectionLocked()
                    && (starved == null || pool.totalLocked() < starved.totalLocked())) {
                starved = pool;
            }
        }
        return starved;
    }

    /** Closes the oldest idle connection of the pool with the most idle ones, making room for {@code needy}. */
    private boolean evictIdleLocked(BackendPool needy, List<Runnable> actions) {
        BackendPool richest = null;
        for (BackendPool pool : pools) {
            if (pool != needy && pool.idleCountLocked() > 0
                    && (richest == null || pool.idleCountLocked() > richest.idleCountLocked())) {
                richest = pool;
            }
        }
        return richest != null && richest.evictOldestIdleLocked(actions);
    }

    synchronized List<BackendPool> pools() {
        return List.copyOf(pools);
    }
}
