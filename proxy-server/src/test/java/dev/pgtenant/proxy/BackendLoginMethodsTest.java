package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.proxy.server.ProxyServer;
import dev.pgtenant.testkit.TestPostgres;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
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

    /**
     * Something answering at a backend's address that asks for SCRAM and then reports ready, never
     * accepting the login, is not the server the registry names: the client's login fails with 08001.
     */
    @Test
    void aServerThatReportsReadyWithoutAcceptingTheLoginIsRefused() throws Exception {
        try (ServerSocket impostor = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread answering = new Thread(() -> {
                try (Socket backend = impostor.accept()) {
                    DataInputStream in = new DataInputStream(backend.getInputStream());
                    in.readFully(new byte[in.readInt() - 4]);
                    backend.getOutputStream().write(RawClient.encode(new Authentication.Sasl(List.of("SCRAM-SHA-256"))::encode));
                    backend.getOutputStream().write(RawClient.encode(new ReadyForQuery(ReadyForQuery.TransactionStatus.IDLE)::encode));
                    while (in.read() >= 0) {
                        // until the proxy closes the connection
                    }
                } catch (IOException closed) {
                    // The proxy closed it, or the test ended.
                }
            });
            answering.setDaemon(true);
            answering.start();
            String id = "impostor" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
            Registry registry = Registry.EMPTY
                    .withOrganization(new Organization(id, new BackendLogin(new BackendAddress("127.0.0.1", impostor.getLocalPort()),
                            "orgdata_" + id, "orgdata_" + id, Secret.ofValue("backend-pw"))))
                    .withUser(new User(id + "_user", ScramVerifier.fromPassword("pw"), id, Set.of(), Set.of(), false));
            try (ProxyServer proxy = ProxyServer.start(ProxyConfig.DEFAULTS.withListen("127.0.0.1:0"), () -> registry, null)) {
                Properties properties = new Properties();
                properties.setProperty("user", id + "_user");
                properties.setProperty("password", "pw");
                properties.setProperty("socketTimeout", "30");
                assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app",
                        properties).close())
                        .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("08001"))
                        .hasMessageContaining("reported ready without completing the login");
            }
            answering.join(30_000);
        }
    }
}
