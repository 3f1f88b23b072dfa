package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.config.PoolSettings;
import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import dev.pgtenant.proxy.provision.OrgProvisioner;
import dev.pgtenant.proxy.server.ProxyServer;
import dev.pgtenant.testkit.Await;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backend that stops and comes back: clients get 08xxx errors, the proxy stays up and recovers. */
class BackendRestartTest {

    @TempDir
    Path dataDirectory;

    @Test
    void proxyRecoversWhenTheBackendComesBack() throws Exception {
        EmbeddedBackend backend = EmbeddedBackend.start(dataDirectory, 0);
        int port = backend.address().port();
        try (Connection superuser = backend.superuser("postgres")) {
            new OrgProvisioner(superuser).provision("orgdata_r1", "orgdata_r1", "backend-pw");
        }
        Registry registry = Registry.EMPTY
                .withOrganization(new Organization("r1", new BackendLogin(new BackendAddress("127.0.0.1", port),
                        "orgdata_r1", "orgdata_r1", Secret.ofValue("backend-pw"))))
                .withUser(new User("restart_user", ScramVerifier.fromPassword("pw"), "r1", Set.of(), Set.of(), false));
        PoolSettings pool = ProxyFixture.pool(5, 10, Duration.ofSeconds(5));
        try (ProxyServer proxy = ProxyServer.start(ProxyConfig.DEFAULTS.withListen("127.0.0.1:0").withPool(pool),
                () -> registry, null)) {
            Connection active = connect(proxy.port());
            try (Connection pooled = connect(proxy.port())) {
                assertThat(pooled.isValid(5)).isTrue();
            }
            backend.close();

            assertThatThrownBy(() -> SessionResetTest.single(active.createStatement(), "SELECT 1"))
                    .isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> connect(proxy.port()).close())
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).startsWith("08");
                        assertThat(e.getMessage()).contains("could not connect to backend 127.0.0.1:" + port);
                    });
            Await.until(() -> proxy.pools().serverConnections(new BackendAddress("127.0.0.1", port)) == 0,
                    Duration.ofSeconds(10), () -> "dead connections were not dropped");

            backend = EmbeddedBackend.start(dataDirectory, port);
            try (Connection again = connect(proxy.port()); Statement statement = again.createStatement()) {
                assertThat(SessionResetTest.single(statement, "SELECT current_database()")).isEqualTo("orgdata_r1");
            }
        } finally {
            backend.close();
        }
    }

    private static Connection connect(int port) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "restart_user");
        properties.setProperty("password", "pw");
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app", properties);
    }
}
