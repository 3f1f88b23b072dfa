package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.testkit.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * org create --create-database, migrate and org delete --drop-database against the real server,
 * with the registry in either store.
 */
class ProvisionCommandTest {

    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void createsMigratesAndDropsTheOrganizationsDatabase(String store) throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String control = store.equals("postgresql") ? postgres.createDatabase("pgtenant_provision") : null;
        try {
            provisionMigrateAndDrop(postgres, control == null ? directory.resolve("registry.yaml").toString()
                    : postgres.url(control));
        } finally {
            if (control != null) {
                postgres.execute("DROP DATABASE " + control + " WITH (FORCE)");
            }
        }
    }

    /**
     * Provisioning sets the role's password, so it must not run for a role or a database another
     * organization has (whose backend logins would then fail, with the new password known to whoever
     * ran the command), nor for a role with powers beyond logging in.
     */
    @org.junit.jupiter.api.Test
    void provisioningRefusesAnotherOrganizationsRoleOrDatabaseAndPowerfulRoles() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String registry = directory.resolve("registry.yaml").toString();
        String backend = "postgresql://" + postgres.host() + ":" + postgres.port();
        String first = "p" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        String database = "orgdata_" + first;
        assertThat(CliRun.run("role-pw\n", "org", "create", first, "--registry", registry, "--backend", backend,
                "--backend-password-stdin", "--create-database", "--admin-user", postgres.superuser()).exitCode()).isZero();

        CliRun sameDatabase = CliRun.run("stolen\n", "org", "create", first + "b", "--database", database, "--registry", registry,
                "--backend", backend, "--backend-password-stdin", "--create-database", "--admin-user", postgres.superuser());
        assertThat(sameDatabase.exitCode()).isNotZero();
        assertThat(sameDatabase.err()).contains("both use database " + database);
        CliRun sameRole = CliRun.run("stolen\n", "org", "create", first + "c", "--backend-user", database, "--registry", registry,
                "--backend", backend, "--backend-password-stdin", "--create-database", "--admin-user", postgres.superuser());
        assertThat(sameRole.exitCode()).isNotZero();
        assertThat(sameRole.err()).contains("role " + database + " is organization " + first + "'s backend role");
        Properties owner = new Properties();
        owner.setProperty("user", database);
        owner.setProperty("password", "role-pw");
        try (Connection stillTheirs = DriverManager.getConnection(postgres.jdbcUrl(database), owner)) {
            assertThat(stillTheirs.isValid(5)).isTrue();
        }

        CliRun superuser = CliRun.run("stolen\n", "org", "create", first + "d", "--backend-user", postgres.superuser(),
                "--registry", registry, "--backend", backend, "--backend-password-stdin", "--create-database",
                "--admin-user", postgres.superuser());
        assertThat(superuser.exitCode()).isNotZero();
        assertThat(superuser.err()).contains("has SUPERUSER");
        try (Connection admin = postgres.connect(); Statement statement = admin.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_database WHERE datname = 'orgdata_" + first + "d'")) {
            rows.next();
            assertThat(rows.getInt(1)).isZero();
        }

        // Registered without provisioning, an organization may log in as another's role: dropping the
        // first organization's database then keeps the role the second still needs.
        assertThat(CliRun.run("", "org", "create", first + "e", "--backend-user", database, "--registry", registry,
                "--backend", backend, "--backend-password-env", "X").exitCode()).isZero();
        CliRun deleted = CliRun.run("", "org", "delete", first, "--yes", "--drop-database", "--registry", registry,
                "--admin-user", postgres.superuser());
        assertThat(deleted.exitCode()).isZero();
        assertThat(deleted.out()).contains("role " + database + " was kept: another organization or a shared database logs in as it");
        try (Connection admin = postgres.connect(); Statement statement = admin.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_roles WHERE rolname = '" + database + "'")) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(1);
            }
            assertThat(CliRun.run("", "org", "delete", first + "e", "--yes", "--registry", registry).exitCode()).isZero();
            statement.execute("DROP ROLE " + database);
        }

        // A shared database's backend role is kept the same way.
        String second = first + "f";
        String secondDatabase = "orgdata_" + second;
        assertThat(CliRun.run("role-pw\n", "org", "create", second, "--registry", registry, "--backend", backend,
                "--backend-password-stdin", "--create-database", "--admin-user", postgres.superuser()).exitCode()).isZero();
        assertThat(CliRun.run("", "shared", "add", "reports_" + first, "--backend", backend, "--database", "postgres",
                "--backend-user", secondDatabase, "--backend-password-env", "X", "--registry", registry).exitCode()).isZero();
        CliRun deletedSecond = CliRun.run("", "org", "delete", second, "--yes", "--drop-database", "--registry", registry,
                "--admin-user", postgres.superuser());
        assertThat(deletedSecond.exitCode()).isZero();
        assertThat(deletedSecond.out()).contains("role " + secondDatabase + " was kept");
        try (Connection admin = postgres.connect(); Statement statement = admin.createStatement()) {
            try (ResultSet rows = statement.executeQuery("SELECT (SELECT count(*) FROM pg_roles WHERE rolname = '"
                    + secondDatabase + "'), (SELECT count(*) FROM pg_database WHERE datname = '" + secondDatabase + "')")) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(1);
                assertThat(rows.getInt(2)).isZero();
            }
            statement.execute("DROP ROLE " + secondDatabase);
        }
    }

    private void provisionMigrateAndDrop(TestPostgres postgres, String registry) throws Exception {
        String id = "p" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        String database = "orgdata_" + id;
        String backend = "postgresql://" + postgres.host() + ":" + postgres.port();
        int created = CliRun.run("role-pw\n", "org", "create", id, "--registry", registry, "--backend", backend,
                "--backend-password-stdin", "--create-database", "--admin-user", postgres.superuser()).exitCode();
        assertThat(created).isZero();

        Properties properties = new Properties();
        properties.setProperty("user", database);
        properties.setProperty("password", "role-pw");
        try (Connection owner = DriverManager.getConnection(postgres.jdbcUrl(database), properties);
             Statement statement = owner.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pg_get_userbyid(datdba), "
                     + "has_database_privilege('public', current_database(), 'CONNECT') FROM pg_database "
                     + "WHERE datname = current_database()")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo(database);
            assertThat(rows.getBoolean(2)).isFalse();
        }

        Path migrations = java.nio.file.Files.createDirectories(directory.resolve("migrations"));
        java.nio.file.Files.writeString(migrations.resolve("V1__create_suppliers.sql"), "CREATE TABLE suppliers (id int)");
        CliRun migrated = CliRun.run("", "migrate", "--dir", migrations.toString(), "--org", id, "--registry", registry);
        assertThat(migrated.exitCode()).as(migrated.out()).isZero();
        try (Connection owner = DriverManager.getConnection(postgres.jdbcUrl(database), properties);
             Statement statement = owner.createStatement();
             ResultSet rows = statement.executeQuery("SELECT tableowner FROM pg_tables WHERE tablename = 'suppliers'")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo(database);
        }

        assertThat(CliRun.run("", "org", "delete", id, "--yes", "--drop-database", "--registry", registry,
                "--admin-user", postgres.superuser()).exitCode()).isZero();
        try (Connection superuser = postgres.connect(); Statement statement = superuser.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + database
                     + "'")) {
            rows.next();
            assertThat(rows.getInt(1)).isZero();
        }
    }
}
