package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Organizations on the embedded backend are created, migrated and checked while pgtenant serve runs it. */
class EmbeddedBackendCommandsTest {

    @TempDir
    Path directory;

    @Test
    void createMigrateAndCheckAnOrganizationOnTheRunningEmbeddedBackend() throws Exception {
        Path dataDirectory = directory.resolve("data");
        String registry = directory.resolve("registry.yaml").toString();
        String dataDir = dataDirectory.toString();
        Path migrations = Files.createDirectories(directory.resolve("migrations"));
        Files.writeString(migrations.resolve("V1__create_suppliers.sql"), "CREATE TABLE suppliers (id int PRIMARY KEY)");

        CliRun.run("", "org", "create", "7", "--registry", registry, "--backend-password-env", "X");
        CliRun stopped = CliRun.run("", "check", "--registry", registry, "--data-dir", dataDir);
        assertThat(stopped.exitCode()).isEqualTo(MigrateCommand.EXIT_SOME_FAILED);
        assertThat(stopped.out()).contains("the embedded backend is not running with data directory " + dataDir);
        CliRun.run("", "org", "delete", "7", "--yes", "--registry", registry);

        try (EmbeddedBackend backend = EmbeddedBackend.start(dataDirectory, 0)) {
            assertThat(EmbeddedBackend.runningAt(dataDirectory)).contains(backend.address());
            CliRun created = CliRun.run("org-pw\n", "org", "create", "8", "--registry", registry, "--backend-password-stdin",
                    "--create-database", "--data-dir", dataDir);
            assertThat(created.exitCode()).as(created.err()).isZero();
            assertThat(created.out()).contains("created role orgdata_8 and database orgdata_8 on the embedded backend");

            CliRun migrated = CliRun.run("", "migrate", "--dir", migrations.toString(), "--all", "--registry", registry,
                    "--data-dir", dataDir);
            assertThat(migrated.exitCode()).as(migrated.out()).isZero();
            try (Connection connection = backend.superuser("orgdata_8"); Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT tableowner FROM pg_tables WHERE tablename = 'suppliers'")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("orgdata_8");
            }

            CliRun checked = CliRun.run("", "check", "--registry", registry, "--data-dir", dataDir);
            assertThat(checked.exitCode()).as(checked.out()).isZero();
            assertThat(checked.out()).contains("8: backend reachable, database orgdata_8 exists, credentials work");
        }
        assertThat(EmbeddedBackend.runningAt(dataDirectory)).as("a stopped backend is not found").isEmpty();
    }
}
