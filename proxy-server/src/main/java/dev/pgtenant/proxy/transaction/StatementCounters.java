package dev.pgtenant.proxy.transaction;

import java.util.concurrent.atomic.LongAdder;

/** Counters of transaction pooling, for operators: how often statements were prepared and reused. */
public final class StatementCounters {

    final LongAdder preparedOnBackends = new LongAdder();
    final LongAdder cacheHits = new LongAdder();
    final LongAdder evictions = new LongAdder();
    final LongAdder pins = new LongAdder();
    final LongAdder settingsApplied = new LongAdder();
    final LongAdder deferredPrepares = new LongAdder();
    final LongAdder replays = new LongAdder();

    /** Batches run again after a table changed under a prepared statement. */
    public long replays() {
        return replays.sum();
    }

    /** Statements prepared outside a transaction, answered by the proxy and prepared on first use. */
    public long deferredPrepares() {
        return deferredPrepares.sum();
    }

    /** Parse messages sent to backends: statements a backend did not have yet. */
    public long preparedOnBackends() {
        return preparedOnBackends.sum();
    }

    /** Client Parses answered without a backend round trip, the statement being there already. */
    public long cacheHits() {
        return cacheHits.sum();
    }

    /** Statements deallocated from a backend to stay within its limit. */
    public long evictions() {
        return evictions.sum();
    }

    /** Sessions pinned to their backend because they created session state. */
    public long pins() {
        return pins.sum();
    }

    /** Times a client's settings were applied to a backend it landed on. */
    public long settingsApplied() {
        return settingsApplied.sum();
    }
}
