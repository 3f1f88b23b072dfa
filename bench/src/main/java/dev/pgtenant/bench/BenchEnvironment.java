package dev.pgtenant.bench;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.ControlDatabase;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the benchmark runs against: one PostgreSQL (embedded, or given by URL) with a pgbench
 * database, and PgBouncer and pgtenant in front of it with equivalent settings: transaction pooling,
 * the same pool size, SCRAM-SHA-256 for clients with the same verifier.
 */
final class BenchEnvironment implements AutoCloseable {

    static final String USER = "bench";
    static final String PASSWORD = "bench-pw";
    static final String DATABASE = "bench_data";
    /** The name clients of both proxies ask for. */
    static final String PROXY_DATABASE = "app";
    static final String LARGE_TABLE = "bench_large";

    record Settings(Path work, String postgresUrl, Path pgtenantJar, List<String> pgtenantJvmOptions, String pgbouncer,
                    int poolSize, int scale, int largeRows) {
    }

    private final Settings settings;
    private final List<Process> processes = new ArrayList<>();
    private EmbeddedBackend embedded;
    private String host;
    private int port;
    private String superuser;
    private String superuserPassword;
    private Target direct;
    private Target pgbouncer;
    private Target pgtenant;
    private Target nettyRelay;
    private String postgresVersion;
    private String pgbouncerVersion;

    private BenchEnvironment(Settings settings) {
        this.settings = settings;
    }

    static BenchEnvironment start(Settings settings) throws Exception {
        BenchEnvironment environment = new BenchEnvironment(settings);
        try {
            environment.startPostgres();
            environment.createDatabase();
            environment.startPgbouncer();
            environment.startPgtenant();
            environment.startNettyRelay();
            return environment;
        } catch (Exception e) {
            environment.close();
            throw e;
        }
    }

    List<Target> targets() {
        return List.of(direct, pgbouncer, pgtenant);
    }

    List<Target> proxies() {
        return List.of(pgbouncer, pgtenant);
    }

    /** The targets plus the bare Netty relay, for the scenarios where its floor is worth comparing. */
    List<Target> targetsWithFloor() {
        return List.of(direct, pgbouncer, pgtenant, nettyRelay);
    }

    String postgresVersion() {
        return postgresVersion;
    }

    String pgbouncerVersion() {
        return pgbouncerVersion;
    }

    private void startPostgres() throws SQLException {
        if (settings.postgresUrl() == null) {
            embedded = EmbeddedBackend.start(settings.work().resolve("postgres"), 0);
            host = "127.0.0.1";
            port = embedded.address().port();
            superuser = "postgres";
        } else {
            ControlDatabase given = ControlDatabase.parse(settings.postgresUrl());
            host = given.host();
            port = given.port();
            superuser = given.user();
            superuserPassword = given.password();
        }
        try (Connection connection = superuserConnection("postgres"); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SHOW server_version")) {
            rows.next();
            postgresVersion = rows.getString(1);
        }
    }

    private Connection superuserConnection(String database) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", superuser);
        if (superuserPassword != null) {
            properties.setProperty("password", superuserPassword);
        }
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + database, properties);
    }

    private void createDatabase() throws Exception {
        try (Connection connection = superuserConnection("postgres"); Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
            statement.execute("DROP ROLE IF EXISTS " + USER);
            statement.execute("SET password_encryption = 'scram-sha-256'");
            statement.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
            statement.execute("CREATE DATABASE " + DATABASE + " OWNER " + USER);
        }
        direct = new Target(Target.DIRECT, port, DATABASE, OptionalLong.empty());
        ProcessBuilder init = new ProcessBuilder("pgbench", "-i", "-q", "-s", Integer.toString(settings.scale()),
                "-h", host, "-p", Integer.toString(port), "-U", USER, DATABASE).redirectErrorStream(true);
        init.environment().put("PGPASSWORD", PASSWORD);
        Process process = init.start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("pgbench -i failed: " + output);
        }
        try (Connection connection = superuserConnection(DATABASE); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + LARGE_TABLE + " AS SELECT g AS id, repeat('x', 1000) AS payload"
                    + " FROM generate_series(1, " + settings.largeRows() + ") g");
            statement.execute("ALTER TABLE " + LARGE_TABLE + " OWNER TO " + USER);
            statement.execute("VACUUM ANALYZE");
        }
    }

    private String verifier() throws SQLException {
        try (Connection connection = superuserConnection("postgres"); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + USER + "'")) {
            rows.next();
            return rows.getString(1);
        }
    }

    /**
     * PgBouncer keeps protocol-level prepared statements across transaction pooling from 1.21 on, when
     * max_prepared_statements is set (200 is its default from 1.22); before that, pgbench -M prepared
     * fails through it as soon as a client meets a second backend, and the setting is refused.
     */
    static String preparedStatementSetting(String versionLine) {
        Matcher version = Pattern.compile("PgBouncer (\\d+)\\.(\\d+)").matcher(versionLine);
        boolean supported = version.lookingAt()
                && Integer.parseInt(version.group(1)) * 100 + Integer.parseInt(version.group(2)) >= 121;
        return supported ? "max_prepared_statements = 200" : "";
    }

    private void startPgbouncer() throws Exception {
        Path directory = Files.createDirectories(settings.work().resolve("pgbouncer"));
        int listen = freePort();
        Files.writeString(directory.resolve("userlist.txt"), "\"" + USER + "\" \"" + verifier() + "\"\n");
        pgbouncerVersion = Report.firstLine(settings.pgbouncer(), "--version");
        Files.writeString(directory.resolve("pgbouncer.ini"), """
                [databases]
                %s = host=%s port=%d dbname=%s

                [pgbouncer]
                listen_addr = 127.0.0.1
                listen_port = %d
                unix_socket_dir =
                auth_type = scram-sha-256
                auth_file = %s
                pool_mode = transaction
                default_pool_size = %d
                max_client_conn = 15000
                listen_backlog = 4096
                logfile = %s
                %s
                """.formatted(PROXY_DATABASE, host, port, DATABASE, listen, directory.resolve("userlist.txt"),
                settings.poolSize(), directory.resolve("pgbouncer.log"), preparedStatementSetting(pgbouncerVersion)));
        List<String> command = new ArrayList<>(List.of(settings.pgbouncer()));
        if ("root".equals(System.getProperty("user.name"))) {
            // PgBouncer refuses to run as root; the postgres user comes with the Debian package.
            command.addAll(List.of("-u", "postgres"));
            Files.setPosixFilePermissions(settings.work(), PosixFilePermissions.fromString("rwx--x--x"));
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx"));
            for (Path file : List.of(directory.resolve("userlist.txt"), directory.resolve("pgbouncer.ini"))) {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
        command.add(directory.resolve("pgbouncer.ini").toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("stdout.log").toFile()).start();
        processes.add(process);
        awaitListening(listen, process, directory.resolve("pgbouncer.log"));
        pgbouncer = new Target(Target.PGBOUNCER, listen, PROXY_DATABASE, OptionalLong.of(process.pid()));
    }

    private void startPgtenant() throws Exception {
        Path directory = Files.createDirectories(settings.work().resolve("pgtenant"));
        int listen = freePort();
        BackendAddress backend = new BackendAddress(host, port);
        Registry registry = Registry.EMPTY
                .withOrganization(new Organization(USER, new BackendLogin(backend, DATABASE, USER, Secret.ofValue(PASSWORD))))
                .withUser(new User(USER, ScramVerifier.parse(verifier()), USER, Set.of(), Set.of(), false));
        new RegistryFile(directory.resolve("registry.yaml")).replace(registry);
        Files.writeString(directory.resolve("pgtenant.yaml"), """
                listen: 127.0.0.1:%d
                registry: %s
                dataDirectory: %s
                pool:
                  mode: transaction
                  maxSize: %d
                """.formatted(listen, directory.resolve("registry.yaml"), directory.resolve("data"), settings.poolSize()));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(settings.pgtenantJvmOptions());
        command.addAll(List.of("-jar", settings.pgtenantJar().toString(), "serve", "--config",
                directory.resolve("pgtenant.yaml").toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("pgtenant.log").toFile()).start();
        processes.add(process);
        awaitListening(listen, process, directory.resolve("pgtenant.log"));
        pgtenant = new Target(Target.PGTENANT, listen, PROXY_DATABASE, OptionalLong.of(process.pid()));
    }

    /** In front of PostgreSQL's own database, since it passes the client's login through. */
    private void startNettyRelay() throws Exception {
        Path directory = Files.createDirectories(settings.work().resolve("netty-relay"));
        int listen = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(settings.pgtenantJvmOptions());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), NettyRelay.class.getName(),
                Integer.toString(listen), host, Integer.toString(port)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("relay.log").toFile()).start();
        processes.add(process);
        awaitListening(listen, process, directory.resolve("relay.log"));
        nettyRelay = new Target(Target.NETTY_RELAY, listen, DATABASE, OptionalLong.of(process.pid()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void awaitListening(int port, Process process, Path log) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("exited before listening; see " + log + ":\n"
                        + (Files.exists(log) ? Files.readString(log) : ""));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("not listening on port " + port + " within 60 s; see " + log);
    }

    @Override
    public void close() {
        for (Process process : processes) {
            process.destroy();
        }
        for (Process process : processes) {
            try {
                if (!process.waitFor(15, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (embedded != null) {
            embedded.close();
        }
    }
}
