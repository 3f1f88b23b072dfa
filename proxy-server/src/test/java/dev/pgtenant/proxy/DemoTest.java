package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import dev.pgtenant.proxy.provision.Demo;
import dev.pgtenant.proxy.server.ProxyServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `pgtenant demo` sets up works, and running it twice on the same data directory does too. */
class DemoTest {

    @TempDir
    Path dataDirectory;

    @Test
    void demoUsersLandInTheirOwnOrganizations() throws Exception {
        for (int run = 0; run < 2; run++) {
            try (EmbeddedBackend backend = EmbeddedBackend.start(dataDirectory, 0)) {
                RegistryFile file = new RegistryFile(dataDirectory.resolve("registry.yaml"));
                List<Demo.DemoUser> users = Demo.prepare(backend, file);
                Registry registry = file.load();
                try (ProxyServer proxy = ProxyServer.start(ProxyConfig.DEFAULTS.withListen("127.0.0.1:0"), () -> registry,
                        backend.address())) {
                    for (Demo.DemoUser user : users) {
                        Properties properties = new Properties();
                        properties.setProperty("user", user.name());
                        properties.setProperty("password", user.password());
                        try (Connection connection = DriverManager.getConnection(
                                "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", properties);
                             Statement statement = connection.createStatement();
                             ResultSet rows = statement.executeQuery("SELECT org, count(*) OVER () FROM notes")) {
                            assertThat(rows.next()).isTrue();
                            assertThat(rows.getString(1)).isEqualTo(user.org());
                            assertThat(rows.getInt(2)).isEqualTo(1);
                        }
                    }
                }
            }
        }
    }
}
