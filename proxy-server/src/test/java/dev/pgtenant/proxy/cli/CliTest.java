package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.config.registry.RegistryStore;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.testkit.TestPostgres;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The registry commands end to end, as an operator runs them, on the file store and the PostgreSQL store. */
class CliTest {

    @TempDir
    Path directory;

    /** A backend address for organizations that are only registered, never connected to. */
    private static final String BACKEND = "postgresql://127.0.0.1:5432";

    private final List<String> controlDatabases = new ArrayList<>();

    @AfterEach
    void dropControlDatabases() {
        for (String database : controlDatabases) {
            TestPostgres.get().execute("DROP DATABASE " + database + " WITH (FORCE)");
        }
    }

    /** A new, empty registry in the given kind of store: "file" or "postgresql". */
    private String registry(String store) {
        if (store.equals("file")) {
            return directory.resolve("registry-" + controlDatabases.size() + "-" + System.nanoTime() + ".yaml").toString();
        }
        String database = TestPostgres.get().createDatabase("pgtenant_cli");
        controlDatabases.add(database);
        return TestPostgres.get().url(database);
    }

    private static Registry load(String registry) {
        try (RegistryStore store = RegistryStore.open(registry)) {
            return store.load();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void createOrganizationsAndUsersThenList(String store) {
        String registry = registry(store);
        assertThat(CliRun.run("backend-pw\n", "org", "create", "101", "--registry", registry, "--backend",
                "postgresql://127.0.0.1:5432", "--backend-user", "org101_app", "--backend-password-stdin").exitCode()).isZero();
        if (store.equals("file")) {
            assertThat(CliRun.run("", "org", "create", "102", "--registry", registry, "--backend-password-env", "ORG102_PW")
                    .exitCode()).isZero();
        } else {
            CliRun embedded = CliRun.run("", "org", "create", "102", "--registry", registry, "--backend-password-env", "ORG102_PW");
            assertThat(embedded.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
            assertThat(embedded.err()).contains("organization 102 has no backend: in a registry shared by several proxies");
            assertThat(CliRun.run("", "org", "create", "102", "--registry", registry, "--backend", "postgresql://10.9.9.9",
                    "--backend-password-env", "ORG102_PW").exitCode()).isZero();
        }
        assertThat(CliRun.run("alice-pw\n", "user", "add", "alice", "--org", "101", "--registry", registry, "--password-stdin")
                .exitCode()).isZero();

        Registry loaded = load(registry);
        assertThat(loaded.organization("101").orElseThrow().backend().user()).isEqualTo("org101_app");
        assertThat(loaded.organization("101").orElseThrow().database()).isEqualTo("orgdata_101");
        assertThat(loaded.organization("101").orElseThrow().backend().password().resolve()).isEqualTo("backend-pw");
        assertThat(loaded.organization("102").orElseThrow().backend().embedded()).isEqualTo(store.equals("file"));
        assertThat(loaded.user("alice").orElseThrow().verifier().matches("alice-pw")).isTrue();

        CliRun orgs = CliRun.run("", "org", "list", "--registry", registry);
        assertThat(orgs.out()).contains("101", "orgdata_101", "postgresql://127.0.0.1:5432", "org101_app", "102",
                store.equals("file") ? "embedded" : "postgresql://10.9.9.9:5432");
        CliRun users = CliRun.run("", "user", "list", "--registry", registry, "--output", "json");
        assertThat(users.out()).contains("\"name\" : \"alice\"", "\"org\" : \"101\"").doesNotContain("alice-pw");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void mistakesGiveOneLineErrorsAndExitCodes(String store) {
        String registry = registry(store);
        CliRun badId = CliRun.run("", "org", "create", "Not Valid", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        assertThat(badId.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(badId.err().strip()).startsWith("pgtenant: organization id").doesNotContain("\n").doesNotContain("Exception");

        CliRun unknownOrg = CliRun.run("pw\n", "user", "add", "bob", "--org", "999", "--registry", registry, "--password-stdin");
        assertThat(unknownOrg.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(unknownOrg.err()).contains("organization 999 does not exist");

        CliRun.run("", "org", "create", "5", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun duplicate = CliRun.run("", "org", "create", "5", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        assertThat(duplicate.err()).contains("organization 5 already exists");

        assertThat(CliRun.run("", "org", "create", "--registry", registry).exitCode()).isEqualTo(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void passwdGrantRevokeRemoveShowMoveDelete(String store) {
        String registry = registry(store);
        CliRun.run("", "org", "create", "1", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun.run("", "org", "create", "2", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        assertThat(CliRun.run("old-pw\n", "user", "add", "carol", "--org", "1", "--admin", "--registry", registry,
                "--password-stdin").exitCode()).isZero();
        assertThat(CliRun.run("new-pw\n", "user", "passwd", "carol", "--registry", registry, "--password-stdin").exitCode()).isZero();
        assertThat(CliRun.run("", "user", "grant", "carol", "--org", "2", "--registry", registry).exitCode()).isZero();
        Registry loaded = load(registry);
        assertThat(loaded.user("carol").orElseThrow().verifier().matches("new-pw")).isTrue();
        assertThat(loaded.user("carol").orElseThrow().orgs()).containsExactly("2");
        assertThat(loaded.user("carol").orElseThrow().admin()).isTrue();
        assertThat(CliRun.run("", "user", "grant", "carol", "--org", "9", "--registry", registry).err())
                .contains("organization 9 does not exist");
        assertThat(CliRun.run("", "user", "revoke", "carol", "--org", "2", "--registry", registry).exitCode()).isZero();
        assertThat(load(registry).user("carol").orElseThrow().orgs()).isEmpty();

        assertThat(CliRun.run("", "org", "show", "1", "--registry", registry).out()).contains("orgdata_1", "carol");
        assertThat(CliRun.run("", "org", "move", "1", "--backend", "postgresql://10.1.2.3:6543", "--registry", registry)
                .exitCode()).isZero();
        assertThat(load(registry).organization("1").orElseThrow().backend().server())
                .hasToString("postgresql://10.1.2.3:6543");

        CliRun unconfirmed = CliRun.run("", "org", "delete", "2", "--registry", registry);
        assertThat(unconfirmed.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(unconfirmed.err()).contains("--yes");
        assertThat(CliRun.run("", "org", "delete", "2", "--yes", "--registry", registry).exitCode()).isZero();
        assertThat(CliRun.run("", "user", "remove", "carol", "--registry", registry).exitCode()).isZero();
        Registry after = load(registry);
        assertThat(after.organization("2")).isEmpty();
        assertThat(after.user("carol")).isEmpty();
        assertThat(CliRun.run("", "user", "remove", "carol", "--registry", registry).err()).contains("user carol does not exist");
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void deletingAnOrganizationRemovesItsUsersAndEveryGrantOfIt(String store) {
        String registry = registry(store);
        CliRun.run("", "org", "create", "1", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun.run("", "org", "create", "2", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun.run("pw\n", "user", "add", "dave", "--org", "1", "--registry", registry, "--password-stdin");
        CliRun.run("pw\n", "user", "add", "frank", "--org", "2", "--registry", registry, "--password-stdin");
        assertThat(CliRun.run("", "user", "grant", "frank", "--org", "1", "--registry", registry).exitCode()).isZero();

        CliRun deleted = CliRun.run("", "org", "delete", "1", "--yes", "--registry", registry);
        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).contains("deleted organization 1", "removed its users: dave", "revoked its grants from: frank");
        Registry after = load(registry);
        assertThat(after.user("dave")).isEmpty();
        assertThat(after.user("frank").orElseThrow().orgs()).isEmpty();

        CliRun.run("", "org", "create", "1", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        assertThat(load(registry).users()).as("the new organization 1 inherits no user of the old one")
                .noneMatch(user -> user.mayAccessOrg("1"));
    }

    /**
     * Users left naming a deleted organization (deleted by a version that kept them, or written by
     * hand or by an import) would reach a new organization of that id: creating or importing one is
     * refused until they are gone.
     */
    @Test
    void aNewOrganizationInheritsNoLeftoverUsers() {
        String registry = directory.resolve("leftovers.yaml").toString();
        CliRun.run("", "org", "create", "1", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun.run("pw\n", "user", "add", "gina", "--org", "1", "--registry", registry, "--password-stdin");
        User gina = load(registry).user("gina").orElseThrow();
        new RegistryFile(Path.of(registry)).replace(load(registry)
                .withUser(gina.withGrants(java.util.Set.of("999"), java.util.Set.of()))
                .withUser(new User("hal", gina.verifier(), "999", java.util.Set.of(), java.util.Set.of(), false)));

        CliRun created = CliRun.run("", "org", "create", "999", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        assertThat(created.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(created.err()).contains("still name organization 999", "its users (pgtenant user remove NAME): hal",
                "granted it (pgtenant user revoke NAME --org 999): gina");
        String export = directory.resolve("org999.json").toString();
        String other = directory.resolve("other.yaml").toString();
        CliRun.run("", "org", "create", "999", "--registry", other, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun.run("", "registry", "export", "--registry", other, "--to", export);
        CliRun imported = CliRun.run("", "registry", "import", export, "--registry", registry);
        assertThat(imported.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(imported.err()).contains("still name organization 999");
        assertThat(load(registry).organization("999")).isEmpty();

        assertThat(CliRun.run("", "user", "revoke", "gina", "--org", "999", "--registry", registry).exitCode()).isZero();
        assertThat(CliRun.run("", "user", "remove", "hal", "--registry", registry).exitCode()).isZero();
        assertThat(CliRun.run("", "org", "create", "999", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X")
                .exitCode()).isZero();
        assertThat(load(registry).users()).noneMatch(user -> user.mayAccessOrg("999"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void sharedDatabasesAreAddedGrantedListedAndRemoved(String store) {
        String registry = registry(store);
        CliRun.run("", "org", "create", "1", "--registry", registry, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun.run("pw\n", "user", "add", "erin", "--org", "1", "--registry", registry, "--password-stdin");
        assertThat(CliRun.run("", "shared", "add", "main", "--backend", "postgresql://10.0.0.9", "--database", "app",
                "--backend-user", "app_reader", "--backend-password-env", "APP_PW", "--registry", registry).exitCode()).isZero();
        assertThat(CliRun.run("", "shared", "add", "main", "--backend-user", "x", "--registry", registry).err())
                .contains("shared database main already exists");
        assertThat(CliRun.run("", "user", "grant", "erin", "--database", "main", "--registry", registry).exitCode()).isZero();
        // Provisioning would set the shared database's role's password: refused before any backend is reached.
        CliRun takesRole = CliRun.run("pw\n", "org", "create", "2", "--backend-user", "app_reader", "--backend", "postgresql://10.0.0.9",
                "--backend-password-stdin", "--create-database", "--registry", registry);
        assertThat(takesRole.exitCode()).isNotZero();
        assertThat(takesRole.err()).contains("role app_reader is shared database main's backend role");
        assertThat(CliRun.run("", "shared", "list", "--registry", registry).out())
                .contains("main", "app", "postgresql://10.0.0.9:5432", "app_reader");
        assertThat(load(registry).sharedDatabase("main").orElseThrow().backend().password().env()).isEqualTo("APP_PW");

        assertThat(CliRun.run("", "shared", "remove", "main", "--registry", registry).exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(CliRun.run("", "shared", "remove", "main", "--yes", "--registry", registry).exitCode()).isZero();
        assertThat(load(registry).sharedDatabases()).isEmpty();
        assertThat(load(registry).user("erin").orElseThrow().databases()).as("grants of it are gone too").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void exportAndImportMoveTheWholeRegistry(String targetStore) {
        String source = directory.resolve("source.yaml").toString();
        String target = registry(targetStore);
        String export = directory.resolve("export.json").toString();
        CliRun.run("", "org", "create", "1", "--registry", source, "--backend", BACKEND, "--backend-password-env", "X");
        CliRun.run("pw\n", "user", "add", "dana", "--org", "1", "--registry", source, "--password-stdin");
        CliRun printed = CliRun.run("", "registry", "export", "--registry", source);
        assertThat(printed.out()).contains("\"organizations\"", "\"dana\"", "SCRAM-SHA-256$");
        assertThat(CliRun.run("", "registry", "export", "--registry", source, "--to", export).exitCode()).isZero();
        assertThat(CliRun.run("", "registry", "import", export, "--registry", target).exitCode()).isZero();
        Registry imported = load(target);
        assertThat(imported.organizations()).containsExactlyElementsOf(load(source).organizations());
        assertThat(imported.user("dana").orElseThrow().verifier().matches("pw")).isTrue();
        assertThat(CliRun.run("", "registry", "import", directory.resolve("missing.json").toString(), "--registry", target).err())
                .contains("does not exist");
    }

    @Test
    void anUnreachableRegistryDatabaseIsAOneLineRuntimeFailure() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CliRun result = CliRun.run("", "org", "list", "--registry", "postgresql://ops:hunter2@127.0.0.1:" + closedPort + "/control");
        assertThat(result.exitCode()).isEqualTo(PgTenant.EXIT_FAILED);
        assertThat(result.err().strip()).startsWith("pgtenant: cannot connect to the registry database postgresql://ops@127.0.0.1:")
                .doesNotContain("\n").doesNotContain("hunter2");
    }

    @Test
    void theRegistryLocationCanComeFromTheConfigurationFile() throws Exception {
        Path registry = directory.resolve("from-config.yaml");
        Path config = directory.resolve("pgtenant.yaml");
        java.nio.file.Files.writeString(config, "registry: " + registry + "\n");
        assertThat(CliRun.run("", "org", "create", "42", "--config", config.toString(), "--backend", BACKEND, "--backend-password-env", "X").exitCode())
                .isZero();
        assertThat(new RegistryFile(registry).load().organization("42")).isPresent();
    }
}
