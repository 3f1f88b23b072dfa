package dev.pgtenant.config.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.config.PoolMode;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.testkit.Await;
import dev.pgtenant.testkit.TestPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PostgreSQL registry store against a real control database of its own per test. */
class PostgresRegistryStoreTest {

    private static final Duration WITHIN = Duration.ofSeconds(1);
    private static final ScramVerifier VERIFIER = ScramVerifier.fromPassword("secret");

    private final TestPostgres postgres = TestPostgres.get();
    private String database;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeEach
    void createControlDatabase() {
        database = postgres.createDatabase("pgtenant_control");
    }

    @AfterEach
    void dropControlDatabase() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        postgres.execute("DROP DATABASE " + database + " WITH (FORCE)");
    }

    private PostgresRegistryStore open() {
        PostgresRegistryStore store = (PostgresRegistryStore) RegistryStore.open(postgres.url(database));
        opened.add(store);
        return store;
    }

    private static Organization org(String id) {
        return new Organization(id, new BackendLogin(null, "orgdata_" + id, "orgdata_" + id, null));
    }

    @Test
    void anEmptyDatabaseGetsTheSchemaAndAnEmptyRegistry() throws SQLException {
        assertThat(open().load().organizations()).isEmpty();
        assertThat(query("SELECT version FROM pgtenant.schema_version")).isEqualTo(String.valueOf(PostgresRegistrySchema.LATEST));
        assertThat(open().load().users()).as("a second open finds the schema in place").isEmpty();
    }

    @Test
    void writesAndReadsBackEverything() {
        Registry sample = RegistryFileTest.sample()
                .withOrganization(new Organization("7", new BackendLogin(null, "orgdata_7", "orgdata_7", null), PoolMode.SESSION))
                .withUser(new User("carol", VERIFIER, "7", Set.of(), Set.of(), false, PoolMode.TRANSACTION));
        open().replace(sample);
        Registry loaded = open().load();
        assertThat(loaded.organizations()).containsExactlyElementsOf(sample.organizations());
        assertThat(loaded.users()).containsExactlyElementsOf(sample.users());
        assertThat(loaded.sharedDatabases()).containsExactlyElementsOf(sample.sharedDatabases());
    }

    @Test
    void onlyChangedRowsAreWrittenAndEachChangeBumpsTheRevisionOnce() throws SQLException {
        PostgresRegistryStore store = open();
        store.replace(RegistryFileTest.sample());
        String revision = query("SELECT revision FROM pgtenant.registry_revision");
        String bobRow = query("SELECT xmin::text FROM pgtenant.users WHERE name = 'bob'");
        store.update(current -> current.withUser(new User("alice", ScramVerifier.fromPassword("new"), "101", Set.of(),
                Set.of(), false)));
        assertThat(query("SELECT xmin::text FROM pgtenant.users WHERE name = 'bob'")).as("untouched row").isEqualTo(bobRow);
        assertThat(Long.parseLong(query("SELECT revision FROM pgtenant.registry_revision"))).isEqualTo(Long.parseLong(revision) + 1);
        store.update(current -> current);
        assertThat(Long.parseLong(query("SELECT revision FROM pgtenant.registry_revision")))
                .as("a write that changes nothing").isEqualTo(Long.parseLong(revision) + 1);
    }

    @Test
    void concurrentUpdatesFromSeveralStoresAreNeverLost() throws Exception {
        List<PostgresRegistryStore> stores = List.of(open(), open(), open());
        ExecutorService writers = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String id = Integer.toString(i);
                PostgresRegistryStore store = stores.get(i % stores.size());
                done.add(writers.submit(() -> store.update(r -> r.withOrganization(org(id)))));
            }
            for (Future<?> future : done) {
                future.get(1, TimeUnit.MINUTES);
            }
        } finally {
            writers.shutdownNow();
        }
        assertThat(open().load().organizations()).hasSize(60);
    }

    @Test
    void aWatcherSeesAnotherWritersChangeWithinASecond() {
        PostgresRegistryStore store = open();
        AtomicReference<Registry> heard = new AtomicReference<>();
        RegistryWatcher watcher = store.watch(Duration.ofSeconds(1), (previous, next) -> heard.set(next));
        opened.add(watcher);
        assertThat(watcher.get().organizations()).isEmpty();

        PostgresRegistryStore otherProcess = open();
        otherProcess.update(r -> r.withOrganization(org("1")));
        Await.until(() -> watcher.get().organization("1").isPresent(), WITHIN, () -> "the new organization did not arrive");
        Await.until(() -> heard.get() != null && heard.get().organization("1").isPresent(), WITHIN,
                () -> "the listener did not hear of the change");

        otherProcess.update(r -> r.withoutOrganization("1"));
        Await.until(() -> watcher.get().organization("1").isEmpty(), WITHIN, () -> "the removal did not arrive");
    }

    @Test
    void incrementalReloadsAlwaysEqualAFullLoad() {
        PostgresRegistryStore store = open();
        RegistryWatcher watcher = store.watch(Duration.ofSeconds(1), (previous, next) -> { });
        opened.add(watcher);
        java.util.SplittableRandom random = new java.util.SplittableRandom(20261127);
        for (int step = 0; step < 80; step++) {
            String key = Integer.toString(random.nextInt(6));
            int action = random.nextInt(7);
            store.update(r -> switch (action) {
                case 0 -> r.withOrganization(org(key));
                case 1 -> r.organization(key).isPresent() ? r.withoutOrganization(key) : r;
                case 2 -> r.withOrganization(new Organization(key, new BackendLogin(BackendAddress.parse(
                        "postgresql://10.0.0." + key + ":5432"), "orgdata_" + key, "moved_" + key, Secret.ofEnv("PW_" + key))));
                case 3 -> r.withUser(new User("u" + key, VERIFIER, key, Set.of(), Set.of("main"), random.nextBoolean()));
                case 4 -> r.user("u" + key).isPresent() ? r.withoutUser("u" + key) : r;
                case 5 -> r.sharedDatabase("shared" + key).isPresent() ? r.withoutSharedDatabase("shared" + key) : r;
                default -> r.withSharedDatabase(new SharedDatabase("shared" + key,
                        new BackendLogin(null, "shared" + key, "reader" + random.nextInt(3), null)));
            });
            Registry full = store.load();
            Await.until(() -> sameEntries(watcher.get(), full), WITHIN, () -> "the watcher's snapshot differs from a full load");
        }
    }

    private static boolean sameEntries(Registry a, Registry b) {
        return List.copyOf(a.organizations()).equals(List.copyOf(b.organizations()))
                && List.copyOf(a.users()).equals(List.copyOf(b.users()))
                && List.copyOf(a.sharedDatabases()).equals(List.copyOf(b.sharedDatabases()));
    }

    @Test
    void aWatcherReconnectsAndCatchesUpWhenItsConnectionIsKilled() throws SQLException {
        PostgresRegistryStore store = open();
        RegistryWatcher watcher = store.watch(Duration.ofSeconds(1), (previous, next) -> { });
        opened.add(watcher);
        Await.until(() -> listeners() == 1, Duration.ofSeconds(10), () -> "the watcher never listened");
        postgres.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database
                + "' AND application_name = '" + PostgresRegistryStore.LISTENER_NAME + "'");
        open().update(r -> r.withOrganization(org("2")));
        Await.until(() -> watcher.get().organization("2").isPresent(), Duration.ofSeconds(10),
                () -> "the change made while the watcher was disconnected never arrived");
        open().update(r -> r.withOrganization(org("3")));
        Await.until(() -> watcher.get().organization("3").isPresent(), WITHIN, () -> "notifications stopped after the reconnect");
    }

    @Test
    void anInvalidRowKeepsThePreviousSnapshot() throws SQLException {
        PostgresRegistryStore store = open();
        store.update(r -> r.withOrganization(org("1")));
        RegistryWatcher watcher = store.watch(Duration.ofSeconds(1), (previous, next) -> { });
        opened.add(watcher);
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO pgtenant.users (name, verifier, org, revision)"
                    + " SELECT 'mallory', 'not a verifier', '1', revision + 1 FROM pgtenant.registry_revision");
            statement.execute("UPDATE pgtenant.registry_revision SET revision = revision + 1");
            statement.execute("NOTIFY pgtenant_registry");
        }
        Await.until(() -> watcher.failedReloads() == 1, WITHIN, () -> "the invalid row was not noticed");
        assertThat(watcher.get().organization("1")).isPresent();
        assertThatThrownBy(store::load).isInstanceOf(RegistryException.class).hasMessageContaining("mallory");
    }

    @Test
    void aNewerSchemaIsRefusedWithAClearMessage() throws SQLException {
        open();
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            statement.execute("UPDATE pgtenant.schema_version SET version = 99");
        }
        assertThatThrownBy(this::open).isInstanceOf(RegistryException.class)
                .hasMessage("the registry schema is at version 99, newer than this pgtenant knows ("
                        + PostgresRegistrySchema.LATEST + "): run a newer pgtenant");
    }

    @Test
    void anUnreachableDatabaseIsAOneLineError() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        assertThatThrownBy(() -> RegistryStore.open("postgresql://someone:pw@127.0.0.1:" + closedPort + "/control"))
                .isInstanceOf(RegistryStoreException.class)
                .hasMessageStartingWith("cannot connect to the registry database postgresql://someone@127.0.0.1:" + closedPort + "/control")
                .hasMessageNotContaining("pw")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private int listeners() {
        try {
            return Integer.parseInt(query("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database
                    + "' AND application_name = '" + PostgresRegistryStore.LISTENER_NAME + "'"));
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private String query(String sql) throws SQLException {
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
