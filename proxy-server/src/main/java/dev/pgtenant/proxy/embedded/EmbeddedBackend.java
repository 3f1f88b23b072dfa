package dev.pgtenant.proxy.embedded;

import dev.pgtenant.config.registry.BackendAddress;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server run by pgtenant itself from the binaries on Maven Central, for trying the
 * product without a database server. Data is kept in a directory across restarts. It listens on
 * 127.0.0.1 only; the superuser {@code postgres} logs in without a password, every other role with
 * SCRAM-SHA-256.
 */
public final class EmbeddedBackend implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedBackend.class);

    private static final String HBA = """
            local all all trust
            host all postgres 127.0.0.1/32 trust
            host all all 127.0.0.1/32 scram-sha-256
            """;

    private final EmbeddedPostgres postgres;

    private EmbeddedBackend(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Starts on {@code port}, or a free port when it is 0, with data kept in {@code dataDirectory}. */
    public static EmbeddedBackend start(Path dataDirectory, int port) {
        try {
            Path directory = dataDirectory.toAbsolutePath();
            Files.createDirectories(directory);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory.resolve("postgres"))
                    .setCleanDataDirectory(false)
                    .setDataDirectoryCustomizer(dir -> writeHba(dir.toPath()))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("max_connections", "200");
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedBackend backend = new EmbeddedBackend(builder.start());
            log.info("embedded PostgreSQL running on 127.0.0.1:{}, data in {}", backend.address().port(),
                    directory.resolve("postgres"));
            return backend;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static void writeHba(Path dataDirectory) {
        try {
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), HBA);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write pg_hba.conf for the embedded PostgreSQL", e);
        }
    }

    /**
     * The embedded backend a {@code pgtenant serve} or {@code demo} is running with this data
     * directory, found from PostgreSQL's own postmaster.pid (whose fourth line is the port), so that
     * other commands can reach the databases on it. Empty when none is running.
     */
    public static Optional<BackendAddress> runningAt(Path dataDirectory) {
        Path pidFile = dataDirectory.toAbsolutePath().resolve("postgres").resolve("postmaster.pid");
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.size() < 4 || ProcessHandle.of(Long.parseLong(lines.get(0).trim())).isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new BackendAddress("127.0.0.1", Integer.parseInt(lines.get(3).trim())));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            log.warn("cannot read {}: {}", pidFile, e.getMessage());
            return Optional.empty();
        }
    }

    public BackendAddress address() {
        return new BackendAddress("127.0.0.1", postgres.getPort());
    }

    /** A superuser connection, for setting up databases and roles. */
    public Connection superuser(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        return DriverManager.getConnection(address().jdbcUrl(database), properties);
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("stopping the embedded PostgreSQL failed: {}", e.getMessage());
        }
    }
}
