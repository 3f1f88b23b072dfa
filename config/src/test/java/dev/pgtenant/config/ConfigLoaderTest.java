package dev.pgtenant.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path directory;

    @Test
    void defaultsWithoutAFile() {
        ProxyConfig config = new ConfigLoader(name -> null).load(null);
        assertThat(config.listen()).isEqualTo("127.0.0.1:6432");
        assertThat(config.registry()).isEqualTo("registry.yaml");
        assertThat(config.databaseAliases()).containsExactly("app");
        assertThat(config.pool().maxSize()).isEqualTo(20);
        assertThat(config.pool().acquireTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.pool().resetQuery()).isEqualTo("DISCARD ALL");
        assertThat(config.ioThreads()).isEqualTo(ProxyConfig.defaultIoThreads(Runtime.getRuntime().availableProcessors()));
    }

    @Test
    void oneEventLoopPerTwoCoresByDefault() {
        assertThat(ProxyConfig.defaultIoThreads(1)).isEqualTo(1);
        assertThat(ProxyConfig.defaultIoThreads(2)).isEqualTo(1);
        assertThat(ProxyConfig.defaultIoThreads(3)).isEqualTo(1);
        assertThat(ProxyConfig.defaultIoThreads(8)).isEqualTo(4);
    }

    @Test
    void fileThenEnvironment() throws IOException {
        Path file = directory.resolve("pgtenant.yaml");
        Files.writeString(file, """
                listen: 0.0.0.0:7000
                databaseAliases: [app, main]
                pool:
                  maxSize: 5
                  idleTimeout: 90s
                """);
        Map<String, String> environment = Map.of("PGTENANT_POOL_MAX_SIZE", "9", "PGTENANT_REGISTRY", "/etc/r.yaml",
                "PGTENANT_POOL_ACQUIRE_TIMEOUT", "250ms", "PGTENANT_DATABASE_ALIASES", "x, y");
        ProxyConfig config = new ConfigLoader(environment::get).load(file);
        assertThat(config.listen()).isEqualTo("0.0.0.0:7000");
        assertThat(config.registry()).isEqualTo("/etc/r.yaml");
        assertThat(config.pool().maxSize()).isEqualTo(9);
        assertThat(config.pool().idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.pool().acquireTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(config.databaseAliases()).isEqualTo(List.of("x", "y"));
    }

    @Test
    void everyKeyHasAnEnvironmentVariable() {
        assertThat(new ConfigLoader(name -> null).environmentVariables()).contains("PGTENANT_LISTEN",
                "PGTENANT_POOL_MAX_SIZE", "PGTENANT_POOL_MAX_SERVER_CONNECTIONS", "PGTENANT_AUTHENTICATION_TIMEOUT",
                "PGTENANT_IO_THREADS");
    }

    @Test
    void badValuesAreRefusedWithTheKey() throws IOException {
        Path file = directory.resolve("pgtenant.yaml");
        Files.writeString(file, "pool:\n  maxSize: 0\n");
        assertThatThrownBy(() -> new ConfigLoader(name -> null).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("pool.maxSize");
        Files.writeString(file, "listen: nowhere\n");
        assertThatThrownBy(() -> new ConfigLoader(name -> null).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("listen");
        Files.writeString(file, "pool:\n  idleTimeout: soon\n");
        assertThatThrownBy(() -> new ConfigLoader(name -> null).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("pool.idleTimeout: duration \"soon\"");
        Files.writeString(file, "ioThreads: 0\n");
        assertThatThrownBy(() -> new ConfigLoader(name -> null).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("ioThreads");
        Files.writeString(file, "listne: 1.2.3.4:5\n");
        assertThatThrownBy(() -> new ConfigLoader(name -> null).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("listne");
    }
}
