package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.testkit.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** org create --create-database and org delete --drop-database against the real server. */
class ProvisionCommandTest {

    @TempDir
    Path directory;

    @Test
    void createsAndDropsTheOrganizationsRoleAndDatabase() throws SQLException {
        TestPostgres postgres = TestPostgres.get();
        String id = "p" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        String database = "orgdata_" + id;
        String registry = directory.resolve("registry.yaml").toString();
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
