package dev.pgtenant.config.registry;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The tables of the PostgreSQL store, in schema {@code pgtenant} of the control database, and their
 * upgrades. Every row carries the revision that last wrote it, and {@code removals} the revision that
 * removed a key, so a proxy can read just what changed since the revision it holds. Each entry of {@link #VERSIONS} brings the schema from the version before it to its own
 * (the first entry makes version 1); a pgtenant that finds a newer schema than it knows refuses it
 * rather than misread it.
 */
final class PostgresRegistrySchema {

    /** The channel every write notifies, with the new revision as payload. */
    static final String CHANNEL = "pgtenant_registry";

    /** Serializes upgrades by concurrent pgtenant processes (an arbitrary, fixed advisory lock key). */
    private static final long UPGRADE_LOCK = 0x7067_7465_6e61_6e74L;

    private static final List<String> VERSIONS = List.of("""
            CREATE TABLE pgtenant.registry_revision (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                revision bigint NOT NULL
            );
            INSERT INTO pgtenant.registry_revision (revision) VALUES (0);
            CREATE TABLE pgtenant.organizations (
                id text PRIMARY KEY,
                database text NOT NULL UNIQUE DEFERRABLE INITIALLY DEFERRED,
                backend text,
                backend_user text NOT NULL,
                backend_password jsonb,
                pool_mode text,
                revision bigint NOT NULL
            );
            CREATE TABLE pgtenant.users (
                name text PRIMARY KEY,
                verifier text NOT NULL,
                org text,
                orgs text[] NOT NULL DEFAULT '{}',
                databases text[] NOT NULL DEFAULT '{}',
                admin boolean NOT NULL DEFAULT false,
                pool_mode text,
                revision bigint NOT NULL
            );
            CREATE TABLE pgtenant.shared_databases (
                name text PRIMARY KEY,
                database text NOT NULL,
                backend text,
                backend_user text NOT NULL,
                backend_password jsonb,
                revision bigint NOT NULL
            );
            CREATE TABLE pgtenant.removals (
                kind text NOT NULL,
                key text NOT NULL,
                revision bigint NOT NULL,
                PRIMARY KEY (kind, key)
            );
            CREATE INDEX ON pgtenant.organizations (revision);
            CREATE INDEX ON pgtenant.users (revision);
            CREATE INDEX ON pgtenant.shared_databases (revision);
            CREATE INDEX ON pgtenant.removals (revision);
            """);

    static final int LATEST = VERSIONS.size();

    private PostgresRegistrySchema() {
    }

    /** Brings the schema to {@link #LATEST}, creating it in an empty database. */
    static boolean upgrade(Connection connection) throws SQLException {
        return upgrade(connection, true);
    }

    /**
     * Brings an existing schema to {@link #LATEST}; where there is none, creates it only when
     * {@code create}, so that reading a database that holds no registry leaves it untouched.
     * Returns whether the schema is there now.
     */
    static boolean upgrade(Connection connection, boolean create) throws SQLException {
        int found = version(connection);
        if (found == LATEST) {
            return true;
        }
        if (found == 0 && !create) {
            return false;
        }
        requireKnown(found);
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement()) {
            statement.execute("SELECT pg_advisory_xact_lock(" + UPGRADE_LOCK + ")");
            statement.execute("CREATE SCHEMA IF NOT EXISTS pgtenant");
            statement.execute("CREATE TABLE IF NOT EXISTS pgtenant.schema_version (version integer NOT NULL)");
            int from = version(connection);
            requireKnown(from);
            for (int version = from + 1; version <= LATEST; version++) {
                statement.execute(VERSIONS.get(version - 1));
            }
            statement.execute("DELETE FROM pgtenant.schema_version");
            statement.execute("INSERT INTO pgtenant.schema_version (version) VALUES (" + LATEST + ")");
            connection.commit();
            return true;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    private static void requireKnown(int version) {
        if (version > LATEST) {
            throw new RegistryException("the registry schema is at version " + version + ", newer than this pgtenant knows ("
                    + LATEST + "): run a newer pgtenant");
        }
    }

    /** The schema's version: 0 when there is none yet. */
    static int version(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet exists = statement.executeQuery("SELECT to_regclass('pgtenant.schema_version') IS NOT NULL")) {
            exists.next();
            if (!exists.getBoolean(1)) {
                return 0;
            }
        }
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT coalesce(max(version), 0) FROM pgtenant.schema_version")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
