package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pgtenant migrate across 200 organization databases, one of which fails until it is fixed. */
class MigrateTest {

    private static final int ORGS = 200;

    @TempDir
    Path directory;

    @Test
    void migratesTwoHundredOrganizationsAndARerunFixesTheFailedOne() throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String prefix = "m" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36) + "_";
        String role = prefix + "owner";
        Registry registry = Registry.EMPTY;
        try (Connection superuser = postgres.connect(); Statement statement = superuser.createStatement()) {
            statement.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'migrate-pw'");
            for (int i = 0; i < ORGS; i++) {
                String database = "orgdata_" + prefix + i;
                statement.execute("CREATE DATABASE " + database + " OWNER " + role);
                registry = registry.withOrganization(new Organization(prefix + i, new BackendLogin(
                        new BackendAddress(postgres.host(), postgres.port()), database, role, Secret.ofValue("migrate-pw"))));
            }
        }
        String broken = "orgdata_" + prefix + 7;
        execute(broken, "CREATE TABLE suppliers (conflicting text)");
        Path registryFile = directory.resolve("registry.yaml");
        new RegistryFile(registryFile).replace(registry);
        Path migrations = Files.createDirectories(directory.resolve("migrations"));
        Files.writeString(migrations.resolve("V1__create_suppliers.sql"), "SET ROLE " + role
                + "; CREATE TABLE suppliers (id serial PRIMARY KEY, name text NOT NULL)");
        Files.writeString(migrations.resolve("V2__add_country.sql"), "ALTER TABLE suppliers ADD COLUMN country text");
        Files.writeString(migrations.resolve("README.txt"), "not a migration");

        String[] all = {"migrate", "--dir", migrations.toString(), "--all", "--parallel", "8", "--registry", registryFile.toString()};
        CliRun json = CliRun.run("", "migrate", "--dir", migrations.toString(), "--org", prefix + "1", "--dry-run", "--output", "json",
                "--registry", registryFile.toString());
        assertThat(json.out()).contains("\"org\" : \"" + prefix + "1\"", "\"pending\" : 2");
        CliRun dry = CliRun.run("", concat(all, "--dry-run"));
        assertThat(dry.exitCode()).isZero();
        assertThat(dry.out()).contains(prefix + "0: 2 to apply", "dry run: 200 of 200 organizations checked");

        CliRun first = CliRun.run("", all);
        assertThat(first.exitCode()).isEqualTo(MigrateCommand.EXIT_SOME_FAILED);
        assertThat(first.out()).contains(prefix + "7: FAILED after 0 applied: V1 failed", "199 of 200 organizations up to date, 1 failed");
        assertThat(single("orgdata_" + prefix + 199, "SELECT count(*) FROM pgtenant_schema_history")).isEqualTo("2");
        assertThat(single(broken, "SELECT count(*) FROM pgtenant_schema_history")).isEqualTo("0");

        execute(broken, "DROP TABLE suppliers");
        CliRun rerun = CliRun.run("", all);
        assertThat(rerun.exitCode()).isZero();
        assertThat(rerun.out()).contains(prefix + "7: 2 applied", prefix + "0: 0 applied", "200 of 200 organizations up to date");
        assertThat(single(broken, "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
                + "WHERE table_name = 'suppliers'")).isEqualTo("id,name,country");

        Files.writeString(migrations.resolve("V2__add_country.sql"), "ALTER TABLE suppliers ADD COLUMN region text");
        CliRun changed = CliRun.run("", new String[] {"migrate", "--dir", migrations.toString(), "--org", prefix + "3",
                "--registry", registryFile.toString()});
        assertThat(changed.exitCode()).isEqualTo(MigrateCommand.EXIT_SOME_FAILED);
        assertThat(changed.out()).contains("V2 was applied with another checksum");
        Files.writeString(migrations.resolve("V2__add_country.sql"), "ALTER TABLE suppliers ADD COLUMN country text");

        // A file older than one applied would run after it here and before it in databases made later.
        Files.writeString(migrations.resolve("V4__add_city.sql"), "ALTER TABLE suppliers ADD COLUMN city text");
        assertThat(CliRun.run("", new String[] {"migrate", "--dir", migrations.toString(), "--org", prefix + "3",
                "--registry", registryFile.toString()}).exitCode()).isZero();
        Files.writeString(migrations.resolve("V3__add_zip.sql"), "ALTER TABLE suppliers ADD COLUMN zip text");
        CliRun outOfOrder = CliRun.run("", new String[] {"migrate", "--dir", migrations.toString(), "--org", prefix + "3",
                "--registry", registryFile.toString()});
        assertThat(outOfOrder.exitCode()).isEqualTo(MigrateCommand.EXIT_SOME_FAILED);
        assertThat(outOfOrder.out()).contains("V3 is older than V4, which is applied already");
        assertThat(single("orgdata_" + prefix + 3, "SELECT count(*) FROM information_schema.columns "
                + "WHERE table_name = 'suppliers' AND column_name = 'zip'")).isEqualTo("0");
    }

    private static String[] concat(String[] args, String extra) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = extra;
        return all;
    }

    private static void execute(String database, String sql) throws SQLException {
        try (Connection connection = TestPostgres.get().connect(database); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static String single(String database, String sql) throws SQLException {
        try (Connection connection = TestPostgres.get().connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
