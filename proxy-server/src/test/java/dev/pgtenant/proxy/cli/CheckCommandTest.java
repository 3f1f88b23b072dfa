package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryStore;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.provision.OrgProvisioner;
import dev.pgtenant.proxy.server.ProxyService;
import dev.pgtenant.testkit.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** pgtenant check tells working organizations from broken ones, and checks routing through a proxy. */
class CheckCommandTest {

    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(strings = {"file", "postgresql"})
    void reportsEachOrganizationAndRouting(String kind) throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String prefix = "c" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
        BackendAddress server = new BackendAddress(postgres.host(), postgres.port());
        try (Connection superuser = postgres.connect()) {
            new OrgProvisioner(superuser).provision("orgdata_" + prefix + "ok", "orgdata_" + prefix + "ok", "pw");
            new OrgProvisioner(superuser).provision("orgdata_" + prefix + "badpw", "orgdata_" + prefix + "badpw", "pw");
        }
        Registry registry = Registry.EMPTY
                .withOrganization(new Organization(prefix + "ok", new BackendLogin(server, "orgdata_" + prefix + "ok",
                        "orgdata_" + prefix + "ok", Secret.ofValue("pw"))))
                .withOrganization(new Organization(prefix + "badpw", new BackendLogin(server, "orgdata_" + prefix + "badpw",
                        "orgdata_" + prefix + "badpw", Secret.ofValue("wrong"))))
                .withOrganization(new Organization(prefix + "nodb", new BackendLogin(server, "orgdata_" + prefix + "missing",
                        "orgdata_" + prefix + "ok", Secret.ofValue("pw"))))
                .withOrganization(new Organization(prefix + "down", new BackendLogin(new BackendAddress("127.0.0.1", 1),
                        "orgdata_x", "orgdata_x", Secret.ofValue("pw"))))
                .withUser(new User(prefix + "_user", ScramVerifier.fromPassword("user-pw"), prefix + "ok", Set.of(), Set.of(), false));
        String control = kind.equals("postgresql") ? postgres.createDatabase("pgtenant_check") : null;
        String location = control == null ? directory.resolve("registry.yaml").toString() : postgres.url(control);
        try (RegistryStore store = RegistryStore.open(location)) {
            store.replace(registry);
            checkThrough(store, location, prefix);
        } finally {
            if (control != null) {
                postgres.execute("DROP DATABASE " + control + " WITH (FORCE)");
            }
        }
    }

    private static void checkThrough(RegistryStore store, String location, String prefix) {

        CliRun result = CliRun.run("", "check", "--registry", location);
        assertThat(String.valueOf(result.exitCode())).isEqualTo(String.valueOf(MigrateCommand.EXIT_SOME_FAILED));
        assertThat(result.out()).contains(prefix + "ok: backend reachable, database orgdata_" + prefix + "ok exists, credentials work")
                .contains(prefix + "badpw: FAILED: the credentials of role")
                .contains(prefix + "nodb: FAILED: database orgdata_" + prefix + "missing does not exist")
                .contains(prefix + "down: FAILED: backend postgresql://127.0.0.1:1 cannot be reached");

        CliRun json = CliRun.run("", "check", "--org", prefix + "nodb", "--output", "json", "--registry", location);
        assertThat(json.out()).contains("\"check\" : \"" + prefix + "nodb\"", "\"ok\" : false");

        try (ProxyService proxy = ProxyService.start(ProxyConfig.DEFAULTS.withListen("127.0.0.1:0"), store, null)) {
            CliRun routed = CliRun.run("user-pw\n", "check", "--org", prefix + "ok", "--registry", location,
                    "--proxy", "127.0.0.1:" + proxy.server().port(), "--user", prefix + "_user");
            assertThat(String.valueOf(routed.exitCode())).as(routed.out()).isEqualTo("0");
            assertThat(routed.out()).contains("routing: user " + prefix + "_user lands in its organization's database",
                    "all checks passed");
        }
    }
}
