package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry commands end to end, as an operator runs them. */
class CliTest {

    @TempDir
    Path directory;

    record Result(int exitCode, String out, String err) {
    }

    private Result run(String stdin, String... args) {
        InputStream originalIn = System.in;
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = PgTenant.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(originalIn);
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }

    @Test
    void createOrganizationsAndUsersThenList() {
        String registry = directory.resolve("registry.yaml").toString();
        assertThat(run("backend-pw\n", "org", "create", "101", "--registry", registry, "--backend",
                "postgresql://127.0.0.1:5432", "--backend-user", "org101_app", "--backend-password-stdin").exitCode()).isZero();
        assertThat(run("", "org", "create", "102", "--registry", registry, "--backend-password-env", "ORG102_PW")
                .exitCode()).isZero();
        assertThat(run("alice-pw\n", "user", "add", "alice", "--org", "101", "--registry", registry, "--password-stdin")
                .exitCode()).isZero();

        Registry loaded = new RegistryFile(Path.of(registry)).load();
        assertThat(loaded.organization("101").orElseThrow().backend().user()).isEqualTo("org101_app");
        assertThat(loaded.organization("101").orElseThrow().database()).isEqualTo("orgdata_101");
        assertThat(loaded.organization("101").orElseThrow().backend().password().resolve()).isEqualTo("backend-pw");
        assertThat(loaded.organization("102").orElseThrow().backend().embedded()).isTrue();
        assertThat(loaded.user("alice").orElseThrow().verifier().matches("alice-pw")).isTrue();

        Result orgs = run("", "org", "list", "--registry", registry);
        assertThat(orgs.out()).contains("101", "orgdata_101", "postgresql://127.0.0.1:5432", "org101_app", "102", "embedded");
        Result users = run("", "user", "list", "--registry", registry, "--output", "json");
        assertThat(users.out()).contains("\"name\" : \"alice\"", "\"org\" : \"101\"").doesNotContain("alice-pw");
    }

    @Test
    void mistakesGiveOneLineErrorsAndExitCodes() {
        String registry = directory.resolve("registry.yaml").toString();
        Result badId = run("", "org", "create", "Not Valid", "--registry", registry, "--backend-password-env", "X");
        assertThat(badId.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(badId.err().strip()).startsWith("pgtenant: organization id").doesNotContain("\n").doesNotContain("Exception");

        Result unknownOrg = run("pw\n", "user", "add", "bob", "--org", "999", "--registry", registry, "--password-stdin");
        assertThat(unknownOrg.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(unknownOrg.err()).contains("organization 999 does not exist");

        run("", "org", "create", "5", "--registry", registry, "--backend-password-env", "X");
        Result duplicate = run("", "org", "create", "5", "--registry", registry, "--backend-password-env", "X");
        assertThat(duplicate.err()).contains("organization 5 already exists");

        assertThat(run("", "org", "create", "--registry", registry).exitCode()).isEqualTo(2);
    }

    @Test
    void passwdGrantRevokeRemoveShowMoveDelete() {
        String registry = directory.resolve("registry.yaml").toString();
        run("", "org", "create", "1", "--registry", registry, "--backend-password-env", "X");
        run("", "org", "create", "2", "--registry", registry, "--backend-password-env", "X");
        assertThat(run("old-pw\n", "user", "add", "carol", "--org", "1", "--admin", "--registry", registry,
                "--password-stdin").exitCode()).isZero();
        assertThat(run("new-pw\n", "user", "passwd", "carol", "--registry", registry, "--password-stdin").exitCode()).isZero();
        assertThat(run("", "user", "grant", "carol", "--org", "2", "--registry", registry).exitCode()).isZero();
        Registry loaded = new RegistryFile(Path.of(registry)).load();
        assertThat(loaded.user("carol").orElseThrow().verifier().matches("new-pw")).isTrue();
        assertThat(loaded.user("carol").orElseThrow().orgs()).containsExactly("2");
        assertThat(loaded.user("carol").orElseThrow().admin()).isTrue();
        assertThat(run("", "user", "grant", "carol", "--org", "9", "--registry", registry).err())
                .contains("organization 9 does not exist");
        assertThat(run("", "user", "revoke", "carol", "--org", "2", "--registry", registry).exitCode()).isZero();
        assertThat(new RegistryFile(Path.of(registry)).load().user("carol").orElseThrow().orgs()).isEmpty();

        assertThat(run("", "org", "show", "1", "--registry", registry).out()).contains("orgdata_1", "carol");
        assertThat(run("", "org", "move", "1", "--backend", "postgresql://10.1.2.3:6543", "--registry", registry)
                .exitCode()).isZero();
        assertThat(new RegistryFile(Path.of(registry)).load().organization("1").orElseThrow().backend().server())
                .hasToString("postgresql://10.1.2.3:6543");

        Result unconfirmed = run("", "org", "delete", "2", "--registry", registry);
        assertThat(unconfirmed.exitCode()).isEqualTo(PgTenant.EXIT_INVALID);
        assertThat(unconfirmed.err()).contains("--yes");
        assertThat(run("", "org", "delete", "2", "--yes", "--registry", registry).exitCode()).isZero();
        assertThat(run("", "user", "remove", "carol", "--registry", registry).exitCode()).isZero();
        Registry after = new RegistryFile(Path.of(registry)).load();
        assertThat(after.organization("2")).isEmpty();
        assertThat(after.user("carol")).isEmpty();
        assertThat(run("", "user", "remove", "carol", "--registry", registry).err()).contains("user carol does not exist");
    }

    @Test
    void exportAndImportMoveTheWholeRegistry() {
        String source = directory.resolve("source.yaml").toString();
        String target = directory.resolve("target.yaml").toString();
        String export = directory.resolve("export.json").toString();
        run("", "org", "create", "1", "--registry", source, "--backend-password-env", "X");
        run("pw\n", "user", "add", "dana", "--org", "1", "--registry", source, "--password-stdin");
        Result printed = run("", "registry", "export", "--registry", source);
        assertThat(printed.out()).contains("\"organizations\"", "\"dana\"", "SCRAM-SHA-256$");
        assertThat(run("", "registry", "export", "--registry", source, "--to", export).exitCode()).isZero();
        assertThat(run("", "registry", "import", export, "--registry", target).exitCode()).isZero();
        Registry imported = new RegistryFile(Path.of(target)).load();
        assertThat(imported.organizations()).containsExactlyElementsOf(new RegistryFile(Path.of(source)).load().organizations());
        assertThat(imported.user("dana").orElseThrow().verifier().matches("pw")).isTrue();
        assertThat(run("", "registry", "import", directory.resolve("missing.json").toString(), "--registry", target).err())
                .contains("does not exist");
    }

    @Test
    void theRegistryLocationCanComeFromTheConfigurationFile() throws Exception {
        Path registry = directory.resolve("from-config.yaml");
        Path config = directory.resolve("pgtenant.yaml");
        java.nio.file.Files.writeString(config, "registry: " + registry + "\n");
        assertThat(run("", "org", "create", "42", "--config", config.toString(), "--backend-password-env", "X").exitCode())
                .isZero();
        assertThat(new RegistryFile(registry).load().organization("42")).isPresent();
    }
}
