package dev.pgtenant.config;

import java.time.Duration;
import java.util.List;

/**
 * Everything {@code pgtenant serve} reads from its configuration file, environment and flags.
 * Unset values take the documented defaults (docs/configuration.md).
 */
public record ProxyConfig(String listen, String registry, String dataDirectory, Integer embeddedPort,
                          List<String> databaseAliases, Duration authenticationTimeout, Integer maxMessageSize,
                          Integer ioThreads, PoolSettings pool) {

    public static final ProxyConfig DEFAULTS = new ProxyConfig(null, null, null, null, null, null, null, null, null);

    public ProxyConfig {
        listen = listen == null ? "127.0.0.1:6432" : listen;
        ListenAddress.parse(listen);
        registry = registry == null ? "registry.yaml" : registry;
        dataDirectory = dataDirectory == null ? "pgtenant-data" : dataDirectory;
        embeddedPort = embeddedPort == null ? 0 : embeddedPort;
        if (embeddedPort < 0 || embeddedPort > 65_535) {
            throw new ConfigException("embeddedPort must be between 0 (any free port) and 65535");
        }
        databaseAliases = databaseAliases == null ? List.of("app") : List.copyOf(databaseAliases);
        authenticationTimeout = authenticationTimeout == null ? Duration.ofSeconds(60) : authenticationTimeout;
        maxMessageSize = maxMessageSize == null ? 64 * 1024 * 1024 : maxMessageSize;
        if (maxMessageSize < 1024) {
            throw new ConfigException("maxMessageSize must be at least 1024 bytes");
        }
        ioThreads = ioThreads == null ? defaultIoThreads(Runtime.getRuntime().availableProcessors()) : ioThreads;
        if (ioThreads < 1) {
            throw new ConfigException("ioThreads must be at least 1");
        }
        pool = pool == null ? PoolSettings.DEFAULTS : pool;
    }

    /**
     * One event loop per two cores. The proxy shares its machine with the database or the
     * application it serves, whose processes it wakes with every message: a loop per core made
     * the loops and those processes preempt each other, and cost 20-40% more CPU per transaction
     * on two cores than a single loop (docs/benchmarks.md).
     */
    static int defaultIoThreads(int cores) {
        return Math.max(1, cores / 2);
    }

    public ListenAddress listenAddress() {
        return ListenAddress.parse(listen);
    }

    public ProxyConfig withListen(String value) {
        return new ProxyConfig(value, registry, dataDirectory, embeddedPort, databaseAliases, authenticationTimeout,
                maxMessageSize, ioThreads, pool);
    }

    public ProxyConfig withRegistry(String value) {
        return new ProxyConfig(listen, value, dataDirectory, embeddedPort, databaseAliases, authenticationTimeout,
                maxMessageSize, ioThreads, pool);
    }

    public ProxyConfig withDataDirectory(String value) {
        return new ProxyConfig(listen, registry, value, embeddedPort, databaseAliases, authenticationTimeout,
                maxMessageSize, ioThreads, pool);
    }

    public ProxyConfig withPool(PoolSettings value) {
        return new ProxyConfig(listen, registry, dataDirectory, embeddedPort, databaseAliases, authenticationTimeout,
                maxMessageSize, ioThreads, value);
    }

    public ProxyConfig withIoThreads(Integer value) {
        return new ProxyConfig(listen, registry, dataDirectory, embeddedPort, databaseAliases, authenticationTimeout,
                maxMessageSize, value, pool);
    }

    public ProxyConfig withMaxMessageSize(Integer value) {
        return new ProxyConfig(listen, registry, dataDirectory, embeddedPort, databaseAliases, authenticationTimeout,
                value, ioThreads, pool);
    }

    /** Where the proxy listens: {@code host:port}, {@code [v6]:port} or {@code :port} for all interfaces. */
    public record ListenAddress(String host, int port) {
        public static ListenAddress parse(String text) {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw new ConfigException("listen \"" + text + "\" must be host:port");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException("listen \"" + text + "\" has no valid port");
            }
            if (port < 0 || port > 65_535) {
                throw new ConfigException("listen port " + port + " is out of range");
            }
            return new ListenAddress(host.isEmpty() ? "0.0.0.0" : host, port);
        }
    }
}
