package dev.pgtenant.proxy.server;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.RegistryStore;
import dev.pgtenant.config.registry.RegistryWatcher;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The proxy serving a registry store: the store is watched, and every change reaches logins, routing
 * and running sessions within a second (see {@link ProxyServer#registryChanged}).
 */
public final class ProxyService implements AutoCloseable {

    /** How often a registry file is checked for changes (a PostgreSQL store announces its own). */
    static final Duration WATCH_INTERVAL = Duration.ofMillis(250);

    private final RegistryWatcher registry;
    private final ProxyServer server;

    private ProxyService(RegistryWatcher registry, ProxyServer server) {
        this.registry = registry;
        this.server = server;
    }

    public static ProxyService start(ProxyConfig config, RegistryStore store, BackendAddress embeddedBackend) {
        AtomicReference<ProxyServer> running = new AtomicReference<>();
        RegistryWatcher registry = store.watch(WATCH_INTERVAL, (previous, next) -> {
            ProxyServer server = running.get();
            if (server != null) {
                server.registryChanged(previous, next);
            }
        });
        try {
            ProxyServer server = ProxyServer.start(config, registry, embeddedBackend);
            running.set(server);
            return new ProxyService(registry, server);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    public ProxyServer server() {
        return server;
    }

    public RegistryWatcher registry() {
        return registry;
    }

    @Override
    public void close() {
        registry.close();
        server.close();
    }
}
