package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Names;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtenant org ...}: organizations in the registry. */
@Command(name = "org", mixinStandardHelpOptions = true, description = "Manage organizations.",
        subcommands = {OrgCommand.Create.class, OrgCommand.Show.class, OrgCommand.Move.class, OrgCommand.Delete.class,
                OrgCommand.ListOrgs.class})
final class OrgCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Register an organization and where its database lives.")
    static final class Create implements Callable<Integer> {

        @Parameters(paramLabel = "ID", description = "Organization id: a number or a slug of a-z, 0-9 and _.")
        String id;

        @Mixin
        RegistryOption registry;

        @Option(names = "--backend", paramLabel = "URL",
                description = "The PostgreSQL server, postgresql://host:port. Default: the embedded backend.")
        String backend;

        @Option(names = "--database", paramLabel = "NAME", description = "Database name. Default: orgdata_<ID>.")
        String database;

        @Option(names = "--backend-user", paramLabel = "ROLE",
                description = "Role the proxy logs in as. Default: the database name.")
        String backendUser;

        @ArgGroup(exclusive = true)
        PasswordSource password;

        @Option(names = "--create-database", description = "Also create, on the backend, the organization's login role "
                + "(with the backend password), its database owned by that role, and revoke CONNECT from PUBLIC.")
        boolean createDatabase;

        @Mixin
        BackendAdmin admin;

        @Override
        public Integer call() throws java.sql.SQLException {
            Names.requireOrgId(id);
            String db = database == null ? Names.defaultDatabase(id) : database;
            BackendAddress server = backend == null ? null : BackendAddress.parse(backend);
            Secret secret = password == null ? null : password.secret();
            String role = backendUser == null ? db : backendUser;
            Organization org = new Organization(id, new BackendLogin(server, db, role, secret));
            Registry before = registry.load();
            if (before.organization(id).isPresent()) {
                throw new RegistryException("organization " + id + " already exists");
            }
            refuseLeftoverUsers(before, id, java.util.Set.of());
            if (createDatabase) {
                // Before the backend is touched: provisioning sets the role's password, and a role or a
                // database another organization has must keep theirs.
                before.withOrganization(org);
                refuseRoleOfAnotherOrganization(before, org);
                if (secret == null) {
                    throw new RegistryException("--create-database needs a backend password for the new role");
                }
                try (java.sql.Connection connection = admin.connect(server)) {
                    new dev.pgtenant.proxy.provision.OrgProvisioner(connection).provision(db, role, secret.resolve());
                }
                System.out.println("created role " + role + " and database " + db + " on "
                        + (server == null ? "the embedded backend" : server));
            }
            registry.update(current -> {
                if (current.organization(id).isPresent()) {
                    throw new RegistryException("organization " + id + " already exists");
                }
                refuseLeftoverUsers(current, id, java.util.Set.of());
                return current.withOrganization(org);
            });
            System.out.println("created organization " + id + " (database " + db + " on "
                    + (server == null ? "the embedded backend" : server) + ")");
            return 0;
        }
    }

    /**
     * A new organization {@code id} must not take in users that {@code registry} still has naming that
     * id: they would reach its data. {@code replaced}: users about to be written over, who do not count.
     */
    static void refuseLeftoverUsers(Registry registry, String id, java.util.Set<String> replaced) {
        List<User> leftover = registry.usersNaming(id).stream()
                .filter(user -> !replaced.contains(user.name())).toList();
        if (leftover.isEmpty()) {
            return;
        }
        String home = leftover.stream().filter(user -> id.equals(user.org())).map(User::name)
                .collect(Collectors.joining(", "));
        String granted = leftover.stream().filter(user -> !id.equals(user.org())).map(User::name)
                .collect(Collectors.joining(", "));
        throw new RegistryException("users of the registry still name organization " + id + ", which does not exist;"
                + " a new organization " + id + " would let them in. Take them out first"
                + (home.isEmpty() ? "" : "; its users (pgtenant user remove NAME): " + home)
                + (granted.isEmpty() ? "" : "; granted it (pgtenant user revoke NAME --org " + id + "): " + granted));
    }

    private static void refuseRoleOfAnotherOrganization(Registry registry, Organization org) {
        String user = usedElsewhere(registry, org.backend(), null);
        if (user != null) {
            throw new RegistryException("role " + org.backend().user() + " is " + user
                    + "'s backend role; --create-database would change its password: give organization "
                    + org.id() + " a role of its own (--backend-user)");
        }
    }

    /**
     * Who else in {@code registry} logs in to that server as that role: "organization 7" or "shared
     * database main"; null for no one. {@code except}: an organization id not to count.
     */
    static String usedElsewhere(Registry registry, dev.pgtenant.config.registry.BackendLogin login, String except) {
        for (Organization other : registry.organizations()) {
            if (!other.id().equals(except) && sameRole(other.backend(), login)) {
                return "organization " + other.id();
            }
        }
        for (dev.pgtenant.config.registry.SharedDatabase shared : registry.sharedDatabases()) {
            if (sameRole(shared.backend(), login)) {
                return "shared database " + shared.name();
            }
        }
        return null;
    }

    private static boolean sameRole(dev.pgtenant.config.registry.BackendLogin one, dev.pgtenant.config.registry.BackendLogin other) {
        return one.user().equals(other.user()) && java.util.Objects.equals(one.server(), other.server());
    }

    /** Where the backend password comes from; stdin keeps it out of shell history. */
    static final class PasswordSource {
        @Option(names = "--backend-password-stdin", description = "Read the backend password from standard input.")
        boolean stdin;

        @Option(names = "--backend-password-env", paramLabel = "VAR",
                description = "Take the backend password from this environment variable when connecting.")
        String env;

        @Option(names = "--backend-password-file", paramLabel = "FILE",
                description = "Read the backend password from this file when connecting.")
        String file;

        Secret secret() {
            if (env != null) {
                return Secret.ofEnv(env);
            }
            if (file != null) {
                return Secret.ofFile(file);
            }
            return Secret.ofValue(StandardInput.readSecret("backend password"));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one organization and its users.")
    static final class Show extends ListCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        List<Map<String, Object>> rows(Registry registry) {
            Organization org = registry.organization(id)
                    .orElseThrow(() -> new RegistryException("organization " + id + " does not exist"));
            String users = registry.users().stream().filter(u -> id.equals(u.org())).map(u -> u.name())
                    .collect(java.util.stream.Collectors.joining(","));
            return List.of(row("id", org.id(), "database", org.database(),
                    "backend", org.backend().embedded() ? "embedded" : org.backend().server().toString(),
                    "backendUser", org.backend().user(), "poolMode", org.poolMode() == null ? "" : org.poolMode(),
                    "users", users));
        }
    }

    @Command(name = "move", mixinStandardHelpOptions = true,
            description = "Point an organization at another backend; new sessions go there within a second.")
    static final class Move implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--backend", required = true, paramLabel = "URL", description = "The new server, postgresql://host:port.")
        String backend;

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() {
            BackendAddress server = BackendAddress.parse(backend);
            registry.update(current -> {
                Organization org = current.organization(id)
                        .orElseThrow(() -> new RegistryException("organization " + id + " does not exist"));
                BackendLogin login = org.backend();
                return current.withOrganization(new Organization(id,
                        new BackendLogin(server, login.database(), login.user(), login.password()), org.poolMode()));
            });
            System.out.println("organization " + id + " now lives on " + server);
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Remove an organization, its users and every grant of it from the registry; their live "
                    + "sessions end. Its database is kept.")
    static final class Delete implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Option(names = "--yes", description = "Confirm: required, since live sessions are ended.")
        boolean yes;

        @Option(names = "--drop-database", description = "Also drop the organization's database and role on the backend.")
        boolean dropDatabase;

        @Mixin
        BackendAdmin admin;

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() throws java.sql.SQLException {
            if (!yes) {
                throw new RegistryException("deleting organization " + id + " removes its users and grants and ends "
                        + "their live sessions" + (dropDatabase ? " and drops its database" : "") + ": add --yes to confirm");
            }
            Organization org = registry.load().organization(id)
                    .orElseThrow(() -> new RegistryException("organization " + id + " does not exist"));
            AtomicReference<String> removedWithIt = new AtomicReference<>();
            if (!dropDatabase) {
                registry.update(current -> {
                    removedWithIt.set(usersAndGrants(current, id));
                    return current.withoutOrganization(id);
                });
                System.out.println("deleted organization " + id + " (its database was kept)" + removedWithIt.get());
                return 0;
            }
            // Log in first: if the backend cannot be reached, the organization stays registered and the
            // command can simply be run again.
            boolean roleShared;
            try (java.sql.Connection connection = admin.connect(org.backend().server());
                 java.sql.Statement statement = connection.createStatement()) {
                Registry left = registry.update(current -> {
                    Organization now = current.organization(id)
                            .orElseThrow(() -> new RegistryException("organization " + id + " does not exist"));
                    if (!now.backend().equals(org.backend())) {
                        throw new RegistryException("organization " + id + " was changed meanwhile; run the command again");
                    }
                    removedWithIt.set(usersAndGrants(current, id));
                    return current.withoutOrganization(id);
                });
                // Removed from the registry first, so that no session or pool of the proxy reconnects
                // meanwhile; what fails from here on is left for the operator, named.
                String quotedDatabase = dev.pgtenant.proxy.provision.OrgProvisioner.quoteIdentifier(org.database());
                String quotedRole = dev.pgtenant.proxy.provision.OrgProvisioner.quoteIdentifier(org.backend().user());
                roleShared = usedElsewhere(left, org.backend(), id) != null;
                try {
                    statement.execute("DROP DATABASE IF EXISTS " + quotedDatabase + " WITH (FORCE)");
                    if (!roleShared) {
                        statement.execute("DROP ROLE IF EXISTS " + quotedRole);
                    }
                } catch (java.sql.SQLException e) {
                    throw new RegistryException("organization " + id + " was removed from the registry, but dropping its"
                            + " database failed (" + e.getMessage() + "): drop it by hand with DROP DATABASE " + quotedDatabase
                            + (roleShared ? "" : "; DROP ROLE " + quotedRole), e);
                }
            }
            System.out.println("deleted organization " + id + " and dropped database " + org.database()
                    + (roleShared ? " (role " + org.backend().user() + " was kept: another organization or a shared database logs in as it)"
                            : " and role " + org.backend().user()) + removedWithIt.get());
            return 0;
        }

        /** What deleting the organization takes with it (see Registry#withoutOrganization), for the output. */
        private static String usersAndGrants(Registry registry, String id) {
            String users = registry.users().stream().filter(user -> id.equals(user.org()))
                    .map(User::name).collect(Collectors.joining(", "));
            String grantees = registry.users().stream().filter(user -> !id.equals(user.org()) && user.orgs().contains(id))
                    .map(User::name).collect(Collectors.joining(", "));
            return "; removed its users: " + (users.isEmpty() ? "none" : users)
                    + "; revoked its grants from: " + (grantees.isEmpty() ? "none" : grantees);
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List organizations.")
    static final class ListOrgs extends ListCommand {
        @Override
        List<Map<String, Object>> rows(Registry registry) {
            return registry.organizations().stream().map(org -> row("id", org.id(), "database", org.database(),
                    "backend", org.backend().embedded() ? "embedded" : org.backend().server().toString(),
                    "backendUser", org.backend().user())).toList();
        }
    }
}
