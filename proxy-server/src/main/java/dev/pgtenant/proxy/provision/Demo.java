package dev.pgtenant.proxy.provision;

import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Sets up two demo organizations on the embedded backend, each with its own database, role and a
 * {@code notes} table holding a row that names the organization, and one user each. Passwords are
 * new on every run and returned so they can be printed.
 */
public final class Demo {

    /** A demo login: who, with which password, landing in which organization. */
    public record DemoUser(String name, String password, String org) {
    }

    private static final List<String[]> ORGS = List.of(new String[] {"101", "alice"}, new String[] {"102", "bob"});
    private static final SecureRandom RANDOM = new SecureRandom();

    private Demo() {
    }

    public static List<DemoUser> prepare(EmbeddedBackend backend, RegistryFile registryFile) throws SQLException {
        List<DemoUser> users = new ArrayList<>();
        Registry registry = Registry.EMPTY;
        for (String[] org : ORGS) {
            String id = org[0];
            String database = "orgdata_" + id;
            String backendPassword = randomPassword();
            try (Connection superuser = backend.superuser("postgres")) {
                new OrgProvisioner(superuser).provision(database, database, backendPassword);
            }
            try (Connection orgDatabase = backend.superuser(database); Statement statement = orgDatabase.createStatement()) {
                statement.execute("SET ROLE " + OrgProvisioner.quoteIdentifier(database));
                statement.execute("CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, org text NOT NULL, note text NOT NULL)");
                statement.execute("INSERT INTO notes (org, note) SELECT '" + id + "', 'hello from organization " + id
                        + "' WHERE NOT EXISTS (SELECT 1 FROM notes)");
            }
            String userPassword = randomPassword();
            registry = registry
                    .withOrganization(new Organization(id, new BackendLogin(null, database, database, Secret.ofValue(backendPassword))))
                    .withUser(new User(org[1], ScramVerifier.fromPassword(userPassword), id, Set.of(), Set.of(), false));
            users.add(new DemoUser(org[1], userPassword, id));
        }
        Registry prepared = registry;
        registryFile.update(current -> prepared);
        return users;
    }

    private static String randomPassword() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
