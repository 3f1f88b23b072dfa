package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.config.registry.RegistryStore;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.provision.OrgProvisioner;
import dev.pgtenant.proxy.server.ProxyService;
import dev.pgtenant.testkit.Await;
import dev.pgtenant.testkit.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Changes to either registry store reach a running proxy within a second, without a restart. */
class RegistryReloadTest {

    private static final Duration WITHIN = Duration.ofSeconds(5);

    @TempDir
    Path directory;

    private final TestPostgres postgres = TestPostgres.get();
    private final String org = "rl" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void usersPasswordsDeletedAndMovedOrganizations(String kind) throws Exception {
        String database = "orgdata_" + org;
        try (Connection superuser = postgres.connect()) {
            new OrgProvisioner(superuser).provision(database, database, "backend-pw");
        }
        BackendLogin login = new BackendLogin(new BackendAddress("127.0.0.1", postgres.port()), database, database,
                Secret.ofValue("backend-pw"));
        String controlDatabase = kind.equals("postgresql") ? postgres.createDatabase("pgtenant_reload") : null;
        try (RegistryStore store = controlDatabase == null ? new RegistryFile(directory.resolve("registry.yaml"))
                : RegistryStore.open(postgres.url(controlDatabase))) {
            store.update(r -> r.withOrganization(new Organization(org, login)));
            exerciseReloads(store, database);
        } finally {
            if (controlDatabase != null) {
                postgres.execute("DROP DATABASE " + controlDatabase + " WITH (FORCE)");
            }
        }
    }

    private void exerciseReloads(RegistryStore store, String database) throws Exception {
        try (ProxyService service = ProxyService.start(ProxyConfig.DEFAULTS.withListen("127.0.0.1:0"), store, null)) {
            int port = service.server().port();

            store.update(r -> r.withUser(user("first-pw")));
            Await.until(() -> canLogIn(port, "first-pw"), WITHIN, () -> "a new user could not log in");

            store.update(r -> r.withUser(user("second-pw")));
            Await.until(() -> canLogIn(port, "second-pw") && !canLogIn(port, "first-pw"), WITHIN,
                    () -> "the password change did not apply");

            BackendAddress moved = new BackendAddress("localhost", postgres.port());
            store.update(r -> r.withOrganization(new Organization(org, new BackendLogin(moved, database, database,
                    Secret.ofValue("backend-pw")))));
            Await.until(() -> canLogIn(port, "second-pw")
                            && service.server().pools().all().stream().anyMatch(p -> p.target().server().equals(moved)),
                    WITHIN, () -> "new connections did not go to the new backend");

            Connection live = connect(port, "second-pw");
            assertThat(live.isValid(5)).isTrue();
            store.update(r -> r.withoutOrganization(org));
            Await.until(() -> {
                Throwable failure = catchThrowable(() -> {
                    try (Statement statement = live.createStatement()) {
                        statement.execute("SELECT 1");
                    }
                });
                return failure instanceof SQLException e && "57P01".equals(e.getSQLState());
            }, WITHIN, () -> "the live session of a deleted organization did not end with 57P01");
            live.close();

            assertThat(store.load().user(userName())).as("the organization's user went with it").isEmpty();
            Await.until(() -> !canLogIn(port, "second-pw"), WITHIN, () -> "a removed user could still log in");
        }
    }

    @Test
    void anInvalidFileKeepsThePreviousRegistry() throws Exception {
        RegistryFile file = new RegistryFile(directory.resolve("registry.yaml"));
        file.update(r -> r);
        try (ProxyService service = ProxyService.start(ProxyConfig.DEFAULTS.withListen("127.0.0.1:0"), file, null)) {
            java.nio.file.Files.writeString(file.path(), "organizations: [ {id: \"Not Valid\"} ]\n");
            Await.until(() -> service.registry().failedReloads() == 1, WITHIN, () -> "the invalid file was not noticed");
            assertThat(service.registry().get().organizations()).isEmpty();
        }
    }

    private String userName() {
        return org + "_reload";
    }

    private User user(String password) {
        return new User(userName(), ScramVerifier.fromPassword(password), org, Set.of(), Set.of(), false);
    }

    private Connection connect(int port, String password) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", userName());
        properties.setProperty("password", password);
        properties.setProperty("connectTimeout", "5");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", properties);
    }

    private boolean canLogIn(int port, String password) {
        try (Connection connection = connect(port, password)) {
            return connection.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }
}
