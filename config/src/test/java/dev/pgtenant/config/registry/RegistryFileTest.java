package dev.pgtenant.config.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.auth.ScramVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryFileTest {

    @TempDir
    Path directory;

    private static final ScramVerifier VERIFIER = ScramVerifier.fromPassword("secret");

    static Registry sample() {
        return Registry.EMPTY
                .withOrganization(new Organization("101", new BackendLogin(BackendAddress.parse("postgresql://db1:5433"),
                        "orgdata_101", "org101_app", Secret.ofEnv("ORG101_PASSWORD"))))
                .withOrganization(new Organization("acme", new BackendLogin(null, "orgdata_acme", "orgdata_acme",
                        Secret.ofValue("pw"))))
                .withSharedDatabase(new SharedDatabase("main", new BackendLogin(BackendAddress.parse("postgresql://db1"),
                        "app", "app_reader", Secret.ofFile("/run/secrets/app"))))
                .withUser(new User("alice", VERIFIER, "101", Set.of("acme"), Set.of("main"), true))
                .withUser(new User("bob", VERIFIER, "acme", Set.of(), Set.of(), false));
    }

    @ParameterizedTest
    @ValueSource(strings = {"registry.yaml", "registry.json"})
    void writesAndReadsBackEverything(String name) {
        RegistryFile file = new RegistryFile(directory.resolve(name));
        file.update(current -> sample());
        Registry loaded = file.load();
        assertThat(loaded.organizations()).containsExactlyElementsOf(sample().organizations());
        assertThat(loaded.users()).containsExactlyElementsOf(sample().users());
        assertThat(loaded.sharedDatabases()).containsExactlyElementsOf(sample().sharedDatabases());
        assertThat(loaded.organizationByDatabase("orgdata_101")).map(Organization::id).contains("101");
    }

    @Test
    void yamlIsReadableAndHoldsNoPassword() throws IOException {
        RegistryFile file = new RegistryFile(directory.resolve("registry.yaml"));
        file.update(current -> sample());
        String text = Files.readString(file.path());
        assertThat(text).contains("id: \"101\"", "backend: postgresql://db1:5433", "env: ORG101_PASSWORD",
                "verifier: SCRAM-SHA-256$4096:", "file: /run/secrets/app");
        assertThat(text).doesNotContain("secret\n", "null");
    }

    @Test
    void handWrittenYamlWithDefaults() throws IOException {
        Path path = directory.resolve("registry.yaml");
        Files.writeString(path, """
                organizations:
                  - id: "7"
                    backend: postgresql://127.0.0.1
                users:
                  - name: carol
                    verifier: %s
                    org: "7"
                """.formatted(VERIFIER.format()));
        Registry registry = new RegistryFile(path).load();
        Organization org = registry.organization("7").orElseThrow();
        assertThat(org.database()).isEqualTo("orgdata_7");
        assertThat(org.backend().user()).isEqualTo("orgdata_7");
        assertThat(org.backend().server()).isEqualTo(new BackendAddress("127.0.0.1", 5432));
        assertThat(registry.user("carol").orElseThrow().verifier()).isEqualTo(VERIFIER);
    }

    /** A list of names is a set: a name written twice counts once, a null entry is named as the error. */
    @Test
    void namesListedTwiceCountOnceAndEmptyEntriesAreRefused() throws IOException {
        Path path = directory.resolve("registry.yaml");
        String user = "users:\n  - name: carol\n    verifier: " + VERIFIER.format() + "\n    org: \"7\"\n";
        Files.writeString(path, user + "    orgs: [\"8\", \"8\"]\n");
        assertThat(new RegistryFile(path).load().user("carol").orElseThrow().orgs()).containsExactly("8");
        Files.writeString(path, user + "    databases: [~]\n");
        assertThatThrownBy(() -> new RegistryFile(path).load()).isInstanceOf(RegistryException.class)
                .hasMessageContaining("user carol's databases hold a null entry");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "organizations:\n  - id: \"Bad Id\"\n",
            "organizations:\n  - id: \"1\"\n  - id: \"1\"\n",
            "organizations:\n  - id: \"1\"\n    databse: x\n",
            "users:\n  - name: dave\n    verifier: md5abc\n",
            "users:\n  - name: dave\n",
            "organizations:\n  - id: \"1\"\n    backend: http://x\n",
            "organizations:\n  - id: \"1\"\n    backendPassword: {value: a, env: B}\n",
            "organizations:\n  - id: \"1\"\n    database: same\n  - id: \"2\"\n    database: same\n",
            "[not, a, mapping"})
    void invalidFilesAreRefusedWithAReason(String text) throws IOException {
        Path path = directory.resolve("registry.yaml");
        Files.writeString(path, text);
        assertThatThrownBy(() -> new RegistryFile(path).load()).isInstanceOf(RegistryException.class)
                .hasMessageContaining("registry").satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }

    /**
     * A password written as a plain string where {@code {value: ...}} belongs is a type error, whose
     * message from Jackson quotes the value: the error names the field and its line instead, and keeps
     * no cause that quotes it (the proxy logs reload errors).
     */
    @Test
    void aPasswordInTheWrongShapeIsNotRepeatedInTheError() throws IOException {
        Path path = directory.resolve("registry.yaml");
        Files.writeString(path, "organizations:\n  - id: \"1\"\n    backendPassword: hunter2-secret\n");
        assertThatThrownBy(() -> new RegistryFile(path).load()).isInstanceOf(RegistryException.class)
                .hasMessageContaining("backendPassword").hasMessageContaining("line 3")
                .satisfies(e -> {
                    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                        assertThat(cause.getMessage()).doesNotContain("hunter2-secret");
                    }
                });
    }

    /** A proxy that runs as another user keeps reading the file after the CLI writes it: the mode stays. */
    @Test
    void aWriteKeepsTheFilesMode() throws IOException {
        RegistryFile file = new RegistryFile(directory.resolve("registry.yaml"));
        file.replace(Registry.EMPTY.withOrganization(org("1")));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path())))
                .as("a registry the CLI creates is its owner's alone").isEqualTo("rw-------");
        Files.setPosixFilePermissions(file.path(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        file.update(registry -> registry.withOrganization(org("2")));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path())))
                .isEqualTo("rw-r-----");
        assertThat(file.load().organizations()).hasSize(2);
    }

    @Test
    void anUnknownKeyIsNamedAsUnknown() throws IOException {
        Path path = directory.resolve("registry.yaml");
        Files.writeString(path, "organizations:\n  - id: \"1\"\n    databse: x\n");
        assertThatThrownBy(() -> new RegistryFile(path).load()).isInstanceOf(RegistryException.class)
                .hasMessageContaining("Unrecognized field \"databse\"");
    }

    @Test
    void missingFileIsAnEmptyRegistry() {
        assertThat(new RegistryFile(directory.resolve("absent.yaml")).load().organizations()).isEmpty();
    }

    private static Organization org(String id) {
        return new Organization(id, new BackendLogin(null, "orgdata_" + id, "orgdata_" + id, null));
    }

    /**
     * A deploy tool that replaces the file by deleting it first must not end every session: while
     * the file is missing the watcher keeps what it had, and reads the file that comes back.
     */
    @Test
    void aWatcherKeepsItsRegistryWhileTheFileIsMissing() throws IOException {
        RegistryFile file = new RegistryFile(directory.resolve("registry.yaml"));
        file.replace(Registry.EMPTY.withOrganization(org("1")));
        List<Registry> heard = new ArrayList<>();
        RegistryFileWatcher watcher = new RegistryFileWatcher(file, java.time.Duration.ofHours(1), (previous, next) -> heard.add(next));
        try {
            Files.delete(file.path());
            watcher.check();
            assertThat(watcher.get().organization("1")).isPresent();
            assertThat(heard).isEmpty();

            file.replace(Registry.EMPTY.withOrganization(org("1")).withOrganization(org("2")));
            watcher.check();
            assertThat(watcher.get().organizations()).hasSize(2);
            assertThat(heard).hasSize(1);
        } finally {
            watcher.close();
        }
    }

    @Test
    void concurrentUpdatesAreNeverLost() throws Exception {
        RegistryFile file = new RegistryFile(directory.resolve("registry.yaml"));
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String id = Integer.toString(i);
                done.add(writers.submit(() -> new RegistryFile(file.path()).update(r -> r.withOrganization(
                        new Organization(id, new BackendLogin(null, "orgdata_" + id, "orgdata_" + id, null))))));
            }
            for (Future<?> future : done) {
                future.get(1, TimeUnit.MINUTES);
            }
        } finally {
            writers.shutdownNow();
        }
        assertThat(file.load().organizations()).hasSize(40);
    }
}
