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
        subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class})
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

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() {
            Names.requireUser(name);
            Names.requireOrgId(org);
            String password = passwordStdin ? StandardInput.readSecret("password") : StandardInput.prompt("Password for " + name + ": ");
            if (password.isEmpty()) {
                throw new RegistryException("the password must not be empty");
            }
            User user = new User(name, ScramVerifier.fromPassword(password), org, Set.of(), Set.of(), false);
            registry.file().update(current -> {
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
