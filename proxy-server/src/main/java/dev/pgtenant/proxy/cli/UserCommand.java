package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.Names;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtenant user ...}: logins in the registry. */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage users.",
        subcommands = {UserCommand.Add.class, UserCommand.Passwd.class, UserCommand.Remove.class, UserCommand.Grant.class,
                UserCommand.Revoke.class, UserCommand.ListUsers.class})
final class UserCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a user to an organization. Only a SCRAM-SHA-256 verifier of the password is stored.")
    static final class Add implements Callable<Integer> {

        @Parameters(paramLabel = "NAME", description = "The login name clients will use.")
        String name;

        @Option(names = "--org", required = true, paramLabel = "ID", description = "The user's home organization.")
        String org;

        @Option(names = "--password-stdin", description = "Read the password from standard input (else prompt).")
        boolean passwordStdin;

        @Option(names = "--admin", description = "May use the admin console.")
        boolean admin;

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() {
            Names.requireUser(name);
            Names.requireOrgId(org);
            User user = new User(name, verifier(passwordStdin, name), org, Set.of(), Set.of(), admin);
            registry.update(current -> {
                if (current.organization(org).isEmpty()) {
                    throw new RegistryException("organization " + org + " does not exist");
                }
                if (current.user(name).isPresent()) {
                    throw new RegistryException("user " + name + " already exists");
                }
                return current.withUser(user);
            });
            System.out.println("added user " + name + " to organization " + org);
            return 0;
        }
    }

    /** A SCRAM verifier of a password read from standard input or a prompt; the password is not kept. */
    static ScramVerifier verifier(boolean fromStdin, String name) {
        String password = fromStdin ? StandardInput.readSecret("password") : StandardInput.prompt("Password for " + name + ": ");
        if (password.isEmpty()) {
            throw new RegistryException("the password must not be empty");
        }
        return ScramVerifier.fromPassword(password);
    }

    static User existing(dev.pgtenant.config.registry.Registry registry, String name) {
        return registry.user(name).orElseThrow(() -> new RegistryException("user " + name + " does not exist"));
    }

    @Command(name = "passwd", mixinStandardHelpOptions = true, description = "Change a user's password; new logins use it.")
    static final class Passwd implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--password-stdin", description = "Read the password from standard input (else prompt).")
        boolean passwordStdin;

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() {
            ScramVerifier verifier = verifier(passwordStdin, name);
            registry.update(current -> {
                User user = existing(current, name);
                return current.withUser(new User(name, verifier, user.org(), user.orgs(), user.databases(), user.admin(),
                        user.poolMode()));
            });
            System.out.println("changed the password of " + name);
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a user; it cannot log in again, and its live sessions end.")
    static final class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() {
            registry.update(current -> current.withoutUser(name));
            System.out.println("removed user " + name);
            return 0;
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = "Let a user open another organization's database, or a shared database.")
    static final class Grant extends GrantChange {
        Grant() {
            super(true);
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Take back grants of organizations or shared databases; sessions opened through them end.")
    static final class Revoke extends GrantChange {
        Revoke() {
            super(false);
        }
    }

    /** Adds or removes grants of organizations and shared databases. */
    abstract static class GrantChange implements Callable<Integer> {
        private final boolean grant;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--org", paramLabel = "ID", description = "An organization.")
        java.util.List<String> orgs = java.util.List.of();

        @Option(names = "--database", paramLabel = "NAME", description = "A shared database.")
        java.util.List<String> databases = java.util.List.of();

        @Mixin
        RegistryOption registry;

        GrantChange(boolean grant) {
            this.grant = grant;
        }

        @Override
        public Integer call() {
            registry.update(current -> {
                User user = existing(current, name);
                if (grant) {
                    orgs.forEach(org -> current.organization(Names.requireOrgId(org))
                            .orElseThrow(() -> new RegistryException("organization " + org + " does not exist")));
                    databases.forEach(db -> current.sharedDatabase(db)
                            .orElseThrow(() -> new RegistryException("shared database " + db + " does not exist")));
                }
                Set<String> grantedOrgs = new java.util.TreeSet<>(user.orgs());
                Set<String> grantedDatabases = new java.util.TreeSet<>(user.databases());
                if (grant) {
                    grantedOrgs.addAll(orgs);
                    grantedDatabases.addAll(databases);
                } else {
                    grantedOrgs.removeAll(orgs);
                    grantedDatabases.removeAll(databases);
                }
                return current.withUser(user.withGrants(grantedOrgs, grantedDatabases));
            });
            String what = String.join(", ", concat(orgs, databases));
            System.out.println(grant ? "granted " + name + " " + what : "revoked " + what + " from " + name);
            return 0;
        }
    }

    private static java.util.List<String> concat(java.util.List<String> a, java.util.List<String> b) {
        java.util.List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users.")
    static final class ListUsers extends ListCommand {
        @Override
        List<Map<String, Object>> rows(Registry registry) {
            return registry.users().stream().map(user -> row("name", user.name(), "org", user.org(),
                    "orgs", String.join(",", user.orgs()), "databases", String.join(",", user.databases()),
                    "admin", user.admin())).toList();
        }
    }
}
