package dev.pgtenant.proxy;

import dev.pgtenant.config.PoolSettings;
import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.SharedDatabase;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.pool.BackendPool;
import dev.pgtenant.proxy.provision.OrgProvisioner;
import dev.pgtenant.proxy.server.ProxyServer;
import dev.pgtenant.testkit.BufferLeaks;
import dev.pgtenant.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A proxy in front of the test PostgreSQL with organizations of its own: each has a database
 * {@code orgdata_<id>} owned by its own role (CONNECT revoked from PUBLIC) holding a {@code canary}
 * row with the organization's id, and a user {@code <id>_user}. Names carry a random suffix, so
 * fixtures of concurrent tests never meet.
 */
final class ProxyFixture implements AutoCloseable {

    static final String PASSWORD = "pässword-1";
    private static final String BACKEND_PASSWORD = "backend-secret-1";

    private final TestPostgres postgres = TestPostgres.get();
    private final String suffix = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    private final AtomicReference<Registry> registry = new AtomicReference<>(Registry.EMPTY);
    private final ProxyServer server;

    private ProxyFixture(PoolSettings pool, Integer ioThreads, String... orgKeys) throws SQLException {
        this(ProxyConfig.DEFAULTS.withPool(pool).withIoThreads(ioThreads), orgKeys);
    }

    private ProxyFixture(ProxyConfig configured, String... orgKeys) throws SQLException {
        BufferLeaks.watch();
        for (String key : orgKeys) {
            addOrganization(key);
        }
        server = ProxyServer.start(configured.withListen("127.0.0.1:0"), registry::get, null);
    }

    static ProxyFixture start(String... orgKeys) throws SQLException {
        return new ProxyFixture(PoolSettings.DEFAULTS, null, orgKeys);
    }

    static ProxyFixture start(PoolSettings pool, String... orgKeys) throws SQLException {
        return new ProxyFixture(pool, null, orgKeys);
    }

    /**
     * With {@code ioThreads} event loops in place of the default, which is one on a two-core machine:
     * with several, a client and the backend connection it holds are often on different loops.
     */
    static ProxyFixture start(PoolSettings pool, int ioThreads, String... orgKeys) throws SQLException {
        return new ProxyFixture(pool, ioThreads, orgKeys);
    }

    /** With {@code config} (its listen address aside) in place of the defaults. */
    static ProxyFixture start(ProxyConfig config, String... orgKeys) throws SQLException {
        return new ProxyFixture(config, orgKeys);
    }

    static PoolSettings pool(int maxSize, int maxServerConnections, Duration acquireTimeout) {
        return new PoolSettings("session", maxSize, 0, Duration.ofMinutes(10), Duration.ofHours(1), acquireTimeout,
                maxServerConnections, Duration.ofSeconds(5), "DISCARD ALL", null, null, null);
    }

    /** Transaction pooling with at most {@code maxSize} backend connections per organization. */
    static PoolSettings transactionPool(int maxSize) {
        return pool(maxSize, 100, Duration.ofSeconds(30)).withMode(dev.pgtenant.config.PoolMode.TRANSACTION);
    }

    String orgId(String key) {
        return "t" + suffix + key;
    }

    String database(String key) {
        return "orgdata_" + orgId(key);
    }

    String user(String key) {
        return orgId(key) + "_user";
    }

    int port() {
        return server.port();
    }

    ProxyServer server() {
        return server;
    }

    BackendAddress backend() {
        return new BackendAddress(postgres.host(), postgres.port());
    }

    /** The organization's pool counts; all zero before its first client. */
    BackendPool.PoolStats stats(String key) {
        return server.pools().all().stream().filter(p -> p.target().database().equals(database(key))).findFirst()
                .map(BackendPool::stats).orElse(new BackendPool.PoolStats(0, 0, 0, 0));
    }

    void update(java.util.function.UnaryOperator<Registry> change) {
        registry.updateAndGet(change);
    }

    Registry registry() {
        return registry.get();
    }

    /** Adds a user of organization {@code orgKey} with {@link #PASSWORD}, granted more organizations and databases. */
    void addUser(String name, String orgKey, Set<String> grantedOrgIds, Set<String> sharedDatabases) {
        User user = new User(name, ScramVerifier.fromPassword(PASSWORD), orgKey == null ? null : orgId(orgKey),
                grantedOrgIds, sharedDatabases, false);
        update(r -> r.withUser(user));
    }

    /** Registers the test server's {@code postgres} database, read as role {@code role}, as a shared database. */
    void addSharedDatabase(String name, String database, String role) {
        update(r -> r.withSharedDatabase(new SharedDatabase(name,
                new BackendLogin(backend(), database, role, Secret.ofValue(BACKEND_PASSWORD)))));
    }

    /** Creates a role with the backend password that may log in to {@code database}. */
    String createBackendRole(String database) throws SQLException {
        String role = "r" + suffix + "_shared";
        try (Connection superuser = postgres.connect(); Statement statement = superuser.createStatement()) {
            statement.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + BACKEND_PASSWORD + "'");
            statement.execute("GRANT CONNECT ON DATABASE " + database + " TO " + role);
        }
        return role;
    }

    /** A pgjdbc connection through the proxy. */
    Connection connect(String user, String password, String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "10");
        properties.setProperty("socketTimeout", "30");
        properties.setProperty("sslmode", "disable");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port() + "/" + database, properties);
    }

    Connection connect(String orgKey) throws SQLException {
        return connect(user(orgKey), PASSWORD, "app");
    }

    private void addOrganization(String key) throws SQLException {
        String database = database(key);
        try (Connection superuser = postgres.connect()) {
            new OrgProvisioner(superuser).provision(database, database, BACKEND_PASSWORD);
        }
        try (Connection orgDatabase = postgres.connect(database); Statement statement = orgDatabase.createStatement()) {
            statement.execute("SET ROLE " + database);
            statement.execute("CREATE TABLE canary (org text NOT NULL)");
            statement.execute("INSERT INTO canary VALUES ('" + orgId(key) + "')");
        }
        Organization org = new Organization(orgId(key),
                new BackendLogin(backend(), database, database, Secret.ofValue(BACKEND_PASSWORD)));
        update(r -> r.withOrganization(org));
        addUser(user(key), key, Set.of(), Set.of());
    }

    /** Stops the proxy, then fails if Netty's leak detector saw a buffer that was never released. */
    @Override
    public void close() {
        server.close();
        BufferLeaks.assertNoLeaks();
    }
}
