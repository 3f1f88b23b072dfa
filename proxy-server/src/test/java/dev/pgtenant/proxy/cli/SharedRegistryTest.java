package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.RegistryStore;
import dev.pgtenant.proxy.provision.OrgProvisioner;
import dev.pgtenant.proxy.server.ProxyService;
import dev.pgtenant.testkit.Await;
import dev.pgtenant.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** Two proxies share one PostgreSQL registry store: what the CLI changes reaches both within a second. */
class SharedRegistryTest {

    private final TestPostgres postgres = TestPostgres.get();
    private final String org = "sh" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);

    @Test
    void aUserAddedThroughTheCliCanLogInThroughBothProxiesWithinASecond() throws Exception {
        String database = "orgdata_" + org;
        try (Connection superuser = postgres.connect()) {
            new OrgProvisioner(superuser).provision(database, database, "backend-pw");
        }
        String control = postgres.createDatabase("pgtenant_shared");
        String registry = postgres.url(control);
        ProxyConfig config = ProxyConfig.DEFAULTS.withListen("127.0.0.1:0");
        try (RegistryStore firstStore = RegistryStore.open(registry);
             RegistryStore secondStore = RegistryStore.open(registry);
             ProxyService first = ProxyService.start(config, firstStore, null);
             ProxyService second = ProxyService.start(config, secondStore, null)) {
            assertThat(CliRun.run("backend-pw\n", "org", "create", org, "--registry", registry, "--backend",
                    "postgresql://" + postgres.host() + ":" + postgres.port(), "--backend-password-stdin").exitCode()).isZero();
            assertThat(CliRun.run("user-pw\n", "user", "add", "ann_" + org, "--org", org, "--registry", registry,
                    "--password-stdin").exitCode()).isZero();
            long added = System.nanoTime();
            for (ProxyService proxy : List.of(first, second)) {
                Await.until(() -> proxy.registry().get().user("ann_" + org).isPresent(),
                        Duration.ofSeconds(1).minusNanos(System.nanoTime() - added),
                        () -> "proxy on port " + proxy.server().port() + " did not see the new user within a second");
            }
            for (ProxyService proxy : List.of(first, second)) {
                assertThat(currentDatabase(proxy.server().port(), "ann_" + org, "user-pw")).isEqualTo(database);
            }

            assertThat(CliRun.run("", "user", "remove", "ann_" + org, "--registry", registry).exitCode()).isZero();
            for (ProxyService proxy : List.of(first, second)) {
                Await.until(() -> proxy.registry().get().user("ann_" + org).isEmpty(), Duration.ofSeconds(1),
                        () -> "proxy on port " + proxy.server().port() + " still knows the removed user");
            }
        } finally {
            postgres.execute("DROP DATABASE " + control + " WITH (FORCE)");
        }
    }

    private static String currentDatabase(int port, String user, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5");
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", properties);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_database()")) {
            rows.next();
            return rows.getString(1);
        }
    }
}
