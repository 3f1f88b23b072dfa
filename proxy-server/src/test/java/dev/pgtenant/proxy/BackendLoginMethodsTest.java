package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.server.ProxyServer;
import dev.pgtenant.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The proxy logs in to backends with whatever method they ask for. The test server asks members of
 * its md5 and cleartext groups for those methods, everyone else for SCRAM-SHA-256.
 */
class BackendLoginMethodsTest {

    @ParameterizedTest
    @CsvSource({"scram-sha-256, ''", "md5, pgtenant_md5_login", "scram-sha-256, pgtenant_cleartext_login"})
    void proxyLogsInWithTheMethodTheBackendAsks(String encryption, String group) throws SQLException {
        TestPostgres postgres = TestPostgres.get();
        String role = "login_" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        postgres.execute("SET password_encryption = '" + encryption + "'",
                "CREATE ROLE " + role + " LOGIN PASSWORD 'backend-pw'" + (group.isEmpty() ? "" : " IN ROLE " + group),
                "CREATE DATABASE " + role + " OWNER " + role);
        Registry registry = Registry.EMPTY
                .withOrganization(new Organization(role, new BackendLogin(new BackendAddress(postgres.host(), postgres.port()),
                        role, role, Secret.ofValue("backend-pw"))))
                .withUser(new User(role + "_user", ScramVerifier.fromPassword("pw"), role, Set.of(), Set.of(), false));
        try (ProxyServer proxy = ProxyServer.start(ProxyConfig.DEFAULTS.withListen("127.0.0.1:0"), () -> registry, null)) {
            Properties properties = new Properties();
            properties.setProperty("user", role + "_user");
            properties.setProperty("password", "pw");
            try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app",
                    properties); Statement statement = connection.createStatement()) {
                assertThat(SessionResetTest.single(statement, "SELECT current_user || '@' || current_database()"))
                        .isEqualTo(role + "@" + role);
            }
        }
    }
}
