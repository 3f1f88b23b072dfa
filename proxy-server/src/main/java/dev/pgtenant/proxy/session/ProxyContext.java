package dev.pgtenant.proxy.session;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.PoolMode;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.proxy.backend.BackendCanceller;
import dev.pgtenant.proxy.backend.BackendTarget;
import dev.pgtenant.proxy.pool.Pools;
import dev.pgtenant.proxy.routing.Router;
import dev.pgtenant.proxy.transaction.ChannelListeners;
import dev.pgtenant.proxy.transaction.SharedSettings;
import dev.pgtenant.proxy.transaction.StatementCounters;
import java.security.SecureRandom;
import java.util.function.Supplier;

/** What every client session shares: configuration, the registry snapshot, routing, pools, live sessions. */
public final class ProxyContext {

    private final ProxyConfig config;
    private final Supplier<Registry> registry;
    private final Router router;
    private final Pools pools;
    private final LiveSessions sessions = new LiveSessions();
    private final BackendCanceller canceller;
    private final BackendAddress embeddedBackend;
    private final byte[] unknownUserSecret = new byte[32];
    private final StatementCounters statementCounters = new StatementCounters();
    private final ChannelListeners channelListeners = new ChannelListeners();
    private final SharedSettings sharedSettings = new SharedSettings();
    /** {@code pool.mode}, parsed once rather than at each login. */
    private final PoolMode poolMode;

    public ProxyContext(ProxyConfig config, Supplier<Registry> registry, Pools pools, BackendCanceller canceller,
                        BackendAddress embeddedBackend) {
        this.config = config;
        this.registry = registry;
        this.router = new Router(config.databaseAliases());
        this.pools = pools;
        this.canceller = canceller;
        this.embeddedBackend = embeddedBackend;
        this.poolMode = config.pool().poolMode();
        new SecureRandom().nextBytes(unknownUserSecret);
    }

    public ProxyConfig config() {
        return config;
    }

    /** The pool mode of organizations and users that set none. */
    public PoolMode poolMode() {
        return poolMode;
    }

    public Registry registry() {
        return registry.get();
    }

    public Router router() {
        return router;
    }

    public Pools pools() {
        return pools;
    }

    /** The shared LISTEN connections of transaction-mode clients. */
    public ChannelListeners channelListeners() {
        return channelListeners;
    }

    /** The client settings transaction-mode sessions have in common. */
    public SharedSettings sharedSettings() {
        return sharedSettings;
    }

    /** Counters of transaction pooling: statements prepared, cache hits, evictions, pins. */
    public StatementCounters statementCounters() {
        return statementCounters;
    }

    /** Every client connection, found by its cancel key or by where it is routed. */
    public LiveSessions sessions() {
        return sessions;
    }

    public BackendCanceller canceller() {
        return canceller;
    }

    /** A secret of this process, so an unknown user's mock SCRAM salt is stable but unguessable. */
    byte[] unknownUserSecret() {
        return unknownUserSecret;
    }

    /** The pool key for a registry login; a login without a server goes to the embedded backend. */
    public BackendTarget target(BackendLogin login) {
        BackendAddress server = login.server() != null ? login.server() : embeddedBackend;
        if (server == null) {
            throw new IllegalStateException("database " + login.database()
                    + " has no backend configured and no embedded backend is running");
        }
        return new BackendTarget(server, login.database(), login.user(), login.password());
    }
}
