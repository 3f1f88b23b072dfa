package dev.pgtenant.config.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.pgtenant.config.JsonProblems;
import dev.pgtenant.config.registry.RegistryDocument.OrganizationEntry;
import dev.pgtenant.config.registry.RegistryDocument.SharedDatabaseEntry;
import dev.pgtenant.config.registry.RegistryDocument.UserEntry;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The registry in tables of a PostgreSQL control database, for several proxies sharing one registry.
 * Every write runs in one transaction that locks the revision row (so writers queue and never lose
 * an update), writes only the rows that changed, bumps the revision and notifies
 * {@value PostgresRegistrySchema#CHANNEL}; proxies listening there reload at once
 * ({@link PostgresRegistryWatcher}).
 */
public final class PostgresRegistryStore implements RegistryStore {

    /** A registry as of one revision of the store. */
    record Snapshot(long revision, Registry registry) {
    }

    /** The store's revision {@code revision} holds entries that do not make a valid registry. */
    static final class UnloadableRevision extends RegistryException {
        private final long revision;

        UnloadableRevision(long revision, RegistryException cause) {
            super(cause.getMessage(), cause);
            this.revision = revision;
        }

        long revision() {
            return revision;
        }
    }

    /** The application_name of a watcher's listening connection, to tell it apart in pg_stat_activity. */
    static final String LISTENER_NAME = "pgtenant registry listener";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ControlDatabase database;
    private final HikariDataSource pool;

    private PostgresRegistryStore(ControlDatabase database, HikariDataSource pool) {
        this.database = database;
        this.pool = pool;
    }

    /**
     * Connects to the control database and brings the store's schema up to date. A database without
     * the schema gets it at the first write or watch, not by merely being read.
     */
    public static PostgresRegistryStore open(ControlDatabase database) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("pgtenant-registry");
        config.setJdbcUrl(database.jdbcUrl());
        config.setDataSourceProperties(database.connectionProperties());
        // A CLI run needs one connection and a proxy reloads on its own; two cover a write during a reload.
        config.setMaximumPoolSize(2);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new RegistryStoreException("cannot connect to the registry database " + database + ": " + rootMessage(e), e);
        }
        PostgresRegistryStore store = new PostgresRegistryStore(database, pool);
        try {
            store.withConnection(connection -> PostgresRegistrySchema.upgrade(connection, false));
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    @Override
    public Registry load() {
        return withConnection(connection -> PostgresRegistrySchema.upgrade(connection, false)
                ? snapshot(connection).registry() : Registry.EMPTY);
    }

    @Override
    public Registry update(UnaryOperator<Registry> change) {
        return withConnection(connection -> {
            PostgresRegistrySchema.upgrade(connection);
            return inTransaction(connection, Connection.TRANSACTION_READ_COMMITTED, locked -> updateLocked(locked, change));
        });
    }

    private static Registry updateLocked(Connection connection, UnaryOperator<Registry> change) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            // A writer queued behind another that never finishes (a forgotten psql session) gives up.
            statement.execute("SET LOCAL lock_timeout = '30s'");
            statement.execute("SET LOCAL statement_timeout = '120s'");
        }
        long revision;
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT revision FROM pgtenant.registry_revision FOR UPDATE")) {
            rows.next();
            revision = rows.getLong(1);
        }
        // Read after taking the lock: at READ COMMITTED this sees every write committed before it.
        Registry current = RegistryDocument.toRegistry(read(connection, EVERYTHING));
        Registry changed = change.apply(current);
        requireBackends(changed);
        if (write(connection, current, changed, revision + 1)) {
            announce(connection, revision + 1);
        }
        return changed;
    }

    /**
     * Every proxy sharing this store would give an organization without a backend a database of its
     * own on its own embedded PostgreSQL: their data would silently differ, so such entries are refused.
     */
    private static void requireBackends(Registry registry) {
        for (Organization org : registry.organizations()) {
            if (org.backend().embedded()) {
                throw new RegistryException("organization " + org.id() + " has no backend: in a registry shared by several"
                        + " proxies every organization needs one (--backend postgresql://HOST:PORT)");
            }
        }
        for (SharedDatabase db : registry.sharedDatabases()) {
            if (db.backend().embedded()) {
                throw new RegistryException("shared database " + db.name() + " has no backend: in a registry shared by"
                        + " several proxies every database needs one (--backend postgresql://HOST:PORT)");
            }
        }
    }

    @Override
    public RegistryWatcher watch(Duration interval, BiConsumer<Registry, Registry> onChange) {
        withConnection(PostgresRegistrySchema::upgrade);
        return new PostgresRegistryWatcher(this, onChange);
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public String location() {
        return database.toString();
    }

    @Override
    public void close() {
        pool.close();
    }

    /** A connection of its own, outside the pool, for a listener that holds it for as long as it runs. */
    Connection connectDirectly() throws SQLException {
        Properties properties = database.connectionProperties();
        properties.setProperty("ApplicationName", LISTENER_NAME);
        return DriverManager.getConnection(database.jdbcUrl(), properties);
    }

    /** The registry and its revision, read in one consistent snapshot over a pooled connection. */
    Snapshot snapshot() {
        return withConnection(this::snapshot);
    }

    /** The registry and its revision, read in one consistent snapshot. */
    Snapshot snapshot(Connection connection) throws SQLException {
        return inTransaction(connection, Connection.TRANSACTION_REPEATABLE_READ, reading -> {
            long revision = revision(reading);
            return new Snapshot(revision, loadable(revision, () -> RegistryDocument.toRegistry(read(reading, EVERYTHING))));
        });
    }

    /**
     * {@code held} brought up to the store's current revision by reading only the rows written and the
     * keys removed since; {@code held} itself when nothing changed. A revision below the one held
     * means the control database was restored or rebuilt, and is read in full.
     */
    Snapshot changesSince(Connection connection, Snapshot held) throws SQLException {
        return inTransaction(connection, Connection.TRANSACTION_REPEATABLE_READ, reading -> {
            long revision = revision(reading);
            if (revision == held.revision()) {
                return held;
            }
            if (revision < held.revision()) {
                return new Snapshot(revision, loadable(revision, () -> RegistryDocument.toRegistry(read(reading, EVERYTHING))));
            }
            return new Snapshot(revision, loadable(revision, () -> held.registry().changedBy(
                    RegistryDocument.toRegistry(read(reading, held.revision())), removals(reading, held.revision()))));
        });
    }

    private interface RegistryRead {
        Registry read() throws SQLException;
    }

    private static Registry loadable(long revision, RegistryRead read) throws SQLException {
        try {
            return read.read();
        } catch (RuntimeException e) {
            // Rows no check foresaw: still a revision to skip, not a reason to reconnect and read it again.
            throw new UnloadableRevision(revision, e instanceof RegistryException known ? known
                    : new RegistryException("its rows do not make a registry (" + e + ")", e));
        }
    }

    private static <T> T inTransaction(Connection connection, int isolation, ConnectionWork<T> work) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        int previousIsolation = connection.getTransactionIsolation();
        connection.setAutoCommit(false);
        connection.setTransactionIsolation(isolation);
        try {
            T result = work.run(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setTransactionIsolation(previousIsolation);
            connection.setAutoCommit(autoCommit);
        }
    }

    static long revision(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT revision FROM pgtenant.registry_revision")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** The revision before the first: reading rows written after it reads them all. */
    private static final long EVERYTHING = -1;

    /** The entries written after revision {@code since}. */
    private static RegistryDocument read(Connection connection, long since) throws SQLException {
        List<OrganizationEntry> organizations = new ArrayList<>();
        List<UserEntry> users = new ArrayList<>();
        List<SharedDatabaseEntry> shared = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT id, database, backend, backend_user,"
                + " backend_password::text, pool_mode FROM pgtenant.organizations WHERE revision > ?")) {
            try (ResultSet rows = rowsSince(statement, since)) {
                while (rows.next()) {
                    organizations.add(new OrganizationEntry(rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), secret(rows.getString(5)), rows.getString(6)));
                }
            }
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT name, verifier, org, orgs, databases, admin,"
                + " pool_mode FROM pgtenant.users WHERE revision > ?")) {
            try (ResultSet rows = rowsSince(statement, since)) {
                while (rows.next()) {
                    String name = rows.getString(1);
                    users.add(new UserEntry(name, rows.getString(2), rows.getString(3), strings(rows.getArray(4), name, "orgs"),
                            strings(rows.getArray(5), name, "databases"), rows.getBoolean(6) ? Boolean.TRUE : null, rows.getString(7)));
                }
            }
        }
        try (PreparedStatement statement = connection.prepareStatement("SELECT name, database, backend, backend_user,"
                + " backend_password::text FROM pgtenant.shared_databases WHERE revision > ?")) {
            try (ResultSet rows = rowsSince(statement, since)) {
                while (rows.next()) {
                    shared.add(new SharedDatabaseEntry(rows.getString(1), rows.getString(2), rows.getString(3),
                            rows.getString(4), secret(rows.getString(5))));
                }
            }
        }
        return new RegistryDocument(organizations, users, shared);
    }

    private static ResultSet rowsSince(PreparedStatement statement, long since) throws SQLException {
        statement.setFetchSize(10_000);
        statement.setLong(1, since);
        return statement.executeQuery();
    }

    private static Registry.Removals removals(Connection connection, long since) throws SQLException {
        Map<String, Set<String>> byKind = new HashMap<>();
        for (String kind : List.of(ORGANIZATION, USER, SHARED_DATABASE)) {
            byKind.put(kind, new HashSet<>());
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT kind, key FROM pgtenant.removals WHERE revision > ?");
             ResultSet rows = rowsSince(statement, since)) {
            while (rows.next()) {
                Set<String> keys = byKind.get(rows.getString(1));
                if (keys == null) {
                    throw new RegistryException("the registry database records a removal of unknown kind " + rows.getString(1));
                }
                keys.add(rows.getString(2));
            }
        }
        return new Registry.Removals(byKind.get(ORGANIZATION), byKind.get(USER), byKind.get(SHARED_DATABASE));
    }

    private static final String ORGANIZATION = "organization";
    private static final String USER = "user";
    private static final String SHARED_DATABASE = "shared_database";

    /**
     * Writes what differs between {@code before} and {@code after}, stamped with {@code revision}, and
     * records the removed keys; whether anything differed.
     */
    private static boolean write(Connection connection, Registry before, Registry after, long revision) throws SQLException {
        boolean changed = writeTable(connection, before.organizations(), after.organizations(), Organization::id,
                ORGANIZATION, "DELETE FROM pgtenant.organizations WHERE id = ?",
                "INSERT INTO pgtenant.organizations (id, database, backend, backend_user, backend_password, pool_mode, revision)"
                        + " VALUES (?, ?, ?, ?, ?::jsonb, ?, ?) ON CONFLICT (id) DO UPDATE SET database = excluded.database,"
                        + " backend = excluded.backend, backend_user = excluded.backend_user,"
                        + " backend_password = excluded.backend_password, pool_mode = excluded.pool_mode,"
                        + " revision = excluded.revision",
                (statement, value) -> {
                    OrganizationEntry org = RegistryDocument.entry(value);
                    statement.setString(1, org.id());
                    statement.setString(2, org.database());
                    statement.setString(3, org.backend());
                    statement.setString(4, org.backendUser());
                    statement.setString(5, json(org.backendPassword()));
                    statement.setString(6, org.poolMode());
                    statement.setLong(7, revision);
                }, revision);
        changed |= writeTable(connection, before.users(), after.users(), User::name,
                USER, "DELETE FROM pgtenant.users WHERE name = ?",
                "INSERT INTO pgtenant.users (name, verifier, org, orgs, databases, admin, pool_mode, revision)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET verifier = excluded.verifier,"
                        + " org = excluded.org, orgs = excluded.orgs, databases = excluded.databases,"
                        + " admin = excluded.admin, pool_mode = excluded.pool_mode, revision = excluded.revision",
                (statement, value) -> {
                    UserEntry user = RegistryDocument.entry(value);
                    statement.setString(1, user.name());
                    statement.setString(2, user.verifier());
                    statement.setString(3, user.org());
                    statement.setArray(4, connection.createArrayOf("text", user.orgs().toArray()));
                    statement.setArray(5, connection.createArrayOf("text", user.databases().toArray()));
                    statement.setBoolean(6, Boolean.TRUE.equals(user.admin()));
                    statement.setString(7, user.poolMode());
                    statement.setLong(8, revision);
                }, revision);
        changed |= writeTable(connection, before.sharedDatabases(), after.sharedDatabases(), SharedDatabase::name,
                SHARED_DATABASE, "DELETE FROM pgtenant.shared_databases WHERE name = ?",
                "INSERT INTO pgtenant.shared_databases (name, database, backend, backend_user, backend_password, revision)"
                        + " VALUES (?, ?, ?, ?, ?::jsonb, ?) ON CONFLICT (name) DO UPDATE SET database = excluded.database,"
                        + " backend = excluded.backend, backend_user = excluded.backend_user,"
                        + " backend_password = excluded.backend_password, revision = excluded.revision",
                (statement, value) -> {
                    SharedDatabaseEntry db = RegistryDocument.entry(value);
                    statement.setString(1, db.name());
                    statement.setString(2, db.database());
                    statement.setString(3, db.backend());
                    statement.setString(4, db.backendUser());
                    statement.setString(5, json(db.backendPassword()));
                    statement.setLong(6, revision);
                }, revision);
        return changed;
    }

    private interface Binder<T> {
        void bind(PreparedStatement statement, T entry) throws SQLException;
    }

    private static <T> boolean writeTable(Connection connection, Collection<T> before, Collection<T> after,
                                          Function<T, String> key, String kind, String delete, String upsert,
                                          Binder<T> binder, long revision) throws SQLException {
        Map<String, T> old = byKey(before, key);
        Map<String, T> now = byKey(after, key);
        int writes = 0;
        try (PreparedStatement deletion = connection.prepareStatement(delete);
             PreparedStatement removal = connection.prepareStatement("INSERT INTO pgtenant.removals (kind, key, revision)"
                     + " VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET revision = excluded.revision")) {
            for (String gone : old.keySet()) {
                if (!now.containsKey(gone)) {
                    deletion.setString(1, gone);
                    deletion.addBatch();
                    removal.setString(1, kind);
                    removal.setString(2, gone);
                    removal.setLong(3, revision);
                    removal.addBatch();
                    writes++;
                }
            }
            deletion.executeBatch();
            removal.executeBatch();
        }
        try (PreparedStatement statement = connection.prepareStatement(upsert)) {
            for (Map.Entry<String, T> entry : now.entrySet()) {
                if (!Objects.equals(entry.getValue(), old.get(entry.getKey()))) {
                    binder.bind(statement, entry.getValue());
                    statement.addBatch();
                    writes++;
                }
            }
            statement.executeBatch();
        }
        return writes > 0;
    }

    private static void announce(Connection connection, long revision) throws SQLException {
        try (PreparedStatement update = connection.prepareStatement("UPDATE pgtenant.registry_revision SET revision = ?");
             PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            update.setLong(1, revision);
            update.executeUpdate();
            notify.setString(1, PostgresRegistrySchema.CHANNEL);
            notify.setString(2, Long.toString(revision));
            notify.execute();
        }
    }

    private static <T> Map<String, T> byKey(Collection<T> entries, Function<T, String> key) {
        Map<String, T> map = new HashMap<>();
        for (T entry : entries) {
            map.put(key.apply(entry), entry);
        }
        return map;
    }

    private static List<String> strings(Array array, String user, String column) throws SQLException {
        if (array == null) {
            return List.of();
        }
        if (!(array.getArray() instanceof String[] values)) {
            throw new RegistryException("user " + user + "'s " + column + " are not a one-dimensional text array");
        }
        return Arrays.asList(values);
    }

    private static Secret secret(String json) {
        try {
            return json == null ? null : JSON.readValue(json, Secret.class);
        } catch (JsonProcessingException e) {
            throw new RegistryException("a backend password in the registry database is not valid: " + JsonProblems.describe(e),
                    JsonProblems.cause(e));
        }
    }

    private static String json(Secret secret) {
        try {
            return secret == null ? null : JSON.writeValueAsString(secret);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a Secret always serializes", e);
        }
    }

    interface ConnectionWork<T> {
        T run(Connection connection) throws SQLException;
    }

    private <T> T withConnection(ConnectionWork<T> work) {
        try (Connection connection = pool.getConnection()) {
            return work.run(connection);
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private RegistryStoreException failure(SQLException e) {
        return new RegistryStoreException("registry database " + database + ": " + rootMessage(e), e);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }
}
