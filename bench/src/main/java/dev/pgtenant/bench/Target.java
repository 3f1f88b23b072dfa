package dev.pgtenant.bench;

import java.util.OptionalLong;

/**
 * One way to reach the benchmark database: PostgreSQL itself, PgBouncer, pgtenant or the bare
 * {@link NettyRelay}, with the process whose CPU and memory are measured (none for direct: there is
 * no proxy to measure).
 */
record Target(String name, int port, String database, OptionalLong pid) {

    static final String DIRECT = "direct";
    static final String PGBOUNCER = "PgBouncer";
    static final String PGTENANT = "pgtenant";
    static final String NETTY_RELAY = "Netty relay";

    boolean isProxy() {
        return pid.isPresent();
    }
}
