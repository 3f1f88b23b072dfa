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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The PostgreSQL registry store against a real control database of its own per test. */
class PostgresRegistryStoreTest {

    /** Notifications take milliseconds; the bound leaves room for a loaded 2-core machine. */
    private static final Duration WITHIN = Duration.ofSeconds(5);
    private static final BackendAddress SERVER = BackendAddress.parse("postgresql://10.0.0.1:5432");
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
        return new Organization(id, new BackendLogin(SERVER, "orgdata_" + id, "orgdata_" + id, null));
    }

    /** The file store's sample, with a backend for every database, as a shared store requires. */
    private static Registry sample() {
        Registry sample = RegistryFileTest.sample();
        for (Organization org : sample.organizations()) {
            BackendLogin login = org.backend();
            sample = sample.withOrganization(new Organization(org.id(), new BackendLogin(login.embedded() ? SERVER
                    : login.server(), login.database(), login.user(), login.password()), org.poolMode()));
        }
        return sample;
    }

    @Test
    void readingAnEmptyDatabaseLeavesItUntouchedAndTheFirstWriteCreatesTheSchema() throws SQLException {
        assertThat(open().load().organizations()).isEmpty();
        assertThat(query("SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtenant'")).isEqualTo("0");
        open().update(r -> r.withOrganization(org("1")));
        assertThat(query("SELECT version FROM pgtenant.schema_version")).isEqualTo(String.valueOf(PostgresRegistrySchema.LATEST));
        assertThat(open().load().organization("1")).as("a second open finds the schema in place").isPresent();
    }

    @Test
    void organizationsAndSharedDatabasesWithoutABackendAreRefused() {
        PostgresRegistryStore store = open();
        assertThatThrownBy(() -> store.update(r -> r.withOrganization(new Organization("9",
                new BackendLogin(null, "orgdata_9", "orgdata_9", null))))).isInstanceOf(RegistryException.class)
                .hasMessageContaining("organization 9 has no backend");
        assertThatThrownBy(() -> store.update(r -> r.withSharedDatabase(new SharedDatabase("main",
                new BackendLogin(null, "app", "app", null))))).isInstanceOf(RegistryException.class)
                .hasMessageContaining("shared database main has no backend");
        assertThat(store.load().organizations()).isEmpty();
    }

    @Test
    void writesAndReadsBackEverything() {
        Registry sample = sample()
                .withOrganization(new Organization("7", new BackendLogin(SERVER, "orgdata_7", "orgdata_7", null), PoolMode.SESSION))
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
        store.replace(sample());
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
    void concurrentUpdatesOfOneEntryFromSeveralStoresAreNeverLost() throws Exception {
        PostgresRegistryStore first = open();
        first.update(r -> r.withOrganization(org("home")).withUser(new User("dana", VERIFIER, "home", Set.of(), Set.of(), false)));
        long revision = Long.parseLong(query("SELECT revision FROM pgtenant.registry_revision"));
        List<PostgresRegistryStore> stores = List.of(first, open(), open());
        ExecutorService writers = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String id = Integer.toString(i);
                PostgresRegistryStore store = stores.get(i % stores.size());
                // Every writer reads dana's grants and writes them back with one more: a lost update drops one.
                done.add(writers.submit(() -> store.update(r -> {
                    User dana = r.user("dana").orElseThrow();
                    Set<String> orgs = new java.util.TreeSet<>(dana.orgs());
                    orgs.add(id);
                    return r.withOrganization(org(id)).withUser(new User("dana", VERIFIER, "home", orgs, Set.of(), false));
                })));
            }
            for (Future<?> future : done) {
                future.get(1, TimeUnit.MINUTES);
            }
        } finally {
            writers.shutdownNow();
        }
        assertThat(open().load().user("dana").orElseThrow().orgs()).hasSize(30);
        assertThat(Long.parseLong(query("SELECT revision FROM pgtenant.registry_revision"))).isEqualTo(revision + 30);
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
        for (int batch = 0; batch < 40; batch++) {
            // Several changes per reload, so that removals and re-adds of one key meet in one read.
            int changes = 1 + random.nextInt(4);
            for (int change = 0; change < changes; change++) {
                String key = Integer.toString(random.nextInt(4));
                int action = random.nextInt(7);
                boolean admin = random.nextBoolean();
                int reader = random.nextInt(3);
                store.update(r -> switch (action) {
                    case 0 -> r.withOrganization(org(key));
                    case 1 -> r.organization(key).isPresent() ? r.withoutOrganization(key) : r;
                    case 2 -> r.withOrganization(new Organization(key, new BackendLogin(BackendAddress.parse(
                            "postgresql://10.0.0." + key + ":5432"), "orgdata_" + key, "moved_" + key, Secret.ofEnv("PW_" + key))));
                    case 3 -> r.withUser(new User("u" + key, VERIFIER, key, Set.of(), Set.of("main"), admin));
                    case 4 -> r.user("u" + key).isPresent() ? r.withoutUser("u" + key) : r;
                    case 5 -> r.sharedDatabase("shared" + key).isPresent() ? r.withoutSharedDatabase("shared" + key) : r;
                    default -> r.withSharedDatabase(new SharedDatabase("shared" + key,
                            new BackendLogin(SERVER, "shared" + key, "reader" + reader, null)));
                });
            }
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
        Await.until(() -> listeners().size() == 1, WITHIN, () -> "the watcher never listened");
        String killed = listeners().get(0);
        assertThat(query("SELECT pg_terminate_backend(" + killed + ")")).isEqualTo("t");
        open().update(r -> r.withOrganization(org("2")));
        Await.until(() -> watcher.get().organization("2").isPresent(), WITHIN,
                () -> "the change made while the watcher was disconnected never arrived");
        Await.until(() -> listeners().size() == 1 && !listeners().contains(killed), WITHIN,
                () -> "the watcher did not listen again on a new connection");
        open().update(r -> r.withOrganization(org("3")));
        Await.until(() -> watcher.get().organization("3").isPresent(), WITHIN, () -> "notifications stopped after the reconnect");
    }

    @Test
    void aRestoredDatabaseWithAnOlderRevisionIsReadInFull() throws SQLException {
        PostgresRegistryStore store = open();
        for (int i = 0; i < 5; i++) {
            String id = Integer.toString(i);
            store.update(r -> r.withOrganization(org(id)));
        }
        RegistryWatcher watcher = store.watch(Duration.ofSeconds(1), (previous, next) -> { });
        opened.add(watcher);
        assertThat(watcher.get().organizations()).hasSize(5);
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            // What a restore to an earlier backup looks like: other rows, and a lower revision.
            statement.execute("DELETE FROM pgtenant.organizations");
            statement.execute("INSERT INTO pgtenant.organizations (id, database, backend, backend_user, revision)"
                    + " VALUES ('restored', 'orgdata_restored', 'postgresql://10.0.0.1:5432', 'orgdata_restored', 1)");
            statement.execute("UPDATE pgtenant.registry_revision SET revision = 2");
            statement.execute("NOTIFY pgtenant_registry");
        }
        Await.until(() -> watcher.get().organizations().size() == 1 && watcher.get().organization("restored").isPresent(),
                WITHIN, () -> "the restored registry was not read in full: " + watcher.get().organizations());
    }

    /**
     * A row no command would write (a verifier that is none, a NULL in a list of names, a nested array)
     * is kept out, with the snapshot before it, until it is fixed: not an error that has the watcher
     * reconnect and read everything again at once.
     */
    @ParameterizedTest
    @CsvSource({"not a verifier, '{}', not a SCRAM-SHA-256 verifier", "valid, '{NULL}', null entry",
        "valid, '{{1}}', one-dimensional"})
    void anInvalidRowKeepsThePreviousSnapshotUntilItIsFixed(String verifier, String orgs, String problem) throws SQLException {
        PostgresRegistryStore store = open();
        store.update(r -> r.withOrganization(org("1")));
        RegistryWatcher watcher = store.watch(Duration.ofSeconds(1), (previous, next) -> { });
        opened.add(watcher);
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO pgtenant.users (name, verifier, org, orgs, revision) SELECT 'mallory', '"
                    + (verifier.equals("valid") ? VERIFIER.format() : verifier) + "', '1', '" + orgs
                    + "', revision + 1 FROM pgtenant.registry_revision");
            statement.execute("UPDATE pgtenant.registry_revision SET revision = revision + 1");
            statement.execute("NOTIFY pgtenant_registry");
        }
        Await.until(() -> watcher.failedReloads() == 1, WITHIN, () -> "the invalid row was not noticed");
        assertThat(watcher.get().user("mallory")).isEmpty();
        assertThat(watcher.get().organization("1")).isPresent();
        assertThatThrownBy(store::load).isInstanceOf(RegistryException.class).hasMessageContaining("mallory")
                .hasMessageContaining(problem);

        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            statement.execute("NOTIFY pgtenant_registry");
            statement.execute("DELETE FROM pgtenant.users WHERE name = 'mallory'");
        }
        store.update(r -> r.withOrganization(org("2")));
        Await.until(() -> watcher.get().organization("2").isPresent(), WITHIN, () -> "the fixed registry was not loaded");
        assertThat(watcher.failedReloads()).as("the bad revision is counted once").isEqualTo(1);
    }

    @Test
    void aNameListedTwiceCountsOnce() throws SQLException {
        PostgresRegistryStore store = open();
        store.update(r -> r.withOrganization(org("1")));
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement()) {
            statement.execute("INSERT INTO pgtenant.users (name, verifier, org, orgs, revision) SELECT 'erin', '"
                    + VERIFIER.format() + "', '1', '{1,1}', revision + 1 FROM pgtenant.registry_revision");
            statement.execute("UPDATE pgtenant.registry_revision SET revision = revision + 1");
        }
        assertThat(store.load().user("erin").orElseThrow().orgs()).containsExactly("1");
    }

    @Test
    void aNewerSchemaIsRefusedWithAClearMessage() throws SQLException {
        open().update(r -> r);
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

    /** The backend pids of watcher listening connections on the control database. */
    private List<String> listeners() {
        try (Connection connection = postgres.connect(database); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = '" + database
                     + "' AND application_name = '" + PostgresRegistryStore.LISTENER_NAME + "'")) {
            List<String> pids = new ArrayList<>();
            while (rows.next()) {
                pids.add(rows.getString(1));
            }
            return pids;
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
