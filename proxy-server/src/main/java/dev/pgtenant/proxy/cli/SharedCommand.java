package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Names;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.config.registry.SharedDatabase;
import dev.pgtenant.config.registry.User;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtenant shared ...}: databases beside the organizations' (such as the app's main one) that users may be granted. */
@Command(name = "shared", mixinStandardHelpOptions = true,
        description = "Manage shared databases: ones every granted user reaches by name, such as the app's main database.",
        subcommands = {SharedCommand.Add.class, SharedCommand.Remove.class, SharedCommand.ListShared.class})
final class SharedCommand {

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Register a shared database; grant it with `pgtenant user grant USER --database NAME`.")
    static final class Add implements Callable<Integer> {

        @Parameters(paramLabel = "NAME", description = "The name clients connect to.")
        String name;

        @Option(names = "--backend", paramLabel = "URL",
                description = "The PostgreSQL server, postgresql://host:port. Default: the embedded backend.")
        String backend;

        @Option(names = "--database", paramLabel = "NAME", description = "Database name on the backend. Default: NAME.")
        String database;

        @Option(names = "--backend-user", paramLabel = "ROLE", required = true, description = "Role the proxy logs in as.")
        String backendUser;

        @ArgGroup(exclusive = true)
        OrgCommand.PasswordSource password;

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() {
            Names.requireDatabase(name);
            BackendAddress server = backend == null ? null : BackendAddress.parse(backend);
            SharedDatabase shared = new SharedDatabase(name, new BackendLogin(server, database == null ? name : database,
                    backendUser, password == null ? null : password.secret()));
            registry.update(current -> {
                if (current.sharedDatabase(name).isPresent()) {
                    throw new RegistryException("shared database " + name + " already exists");
                }
                return current.withSharedDatabase(shared);
            });
            System.out.println("added shared database " + name + " (database " + shared.backend().database() + " on "
                    + (server == null ? "the embedded backend" : server) + ")");
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a shared database and every grant of it; its live sessions end.")
    static final class Remove implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--yes", description = "Confirm: required, since live sessions are ended.")
        boolean yes;

        @Mixin
        RegistryOption registry;

        @Override
        public Integer call() {
            if (!yes) {
                throw new RegistryException("removing shared database " + name + " ends its live sessions: add --yes to confirm");
            }
            registry.update(current -> {
                Registry without = current.withoutSharedDatabase(name);
                for (User user : current.users()) {
                    if (user.databases().contains(name)) {
                        Set<String> databases = new TreeSet<>(user.databases());
                        databases.remove(name);
                        without = without.withUser(user.withGrants(user.orgs(), databases));
                    }
                }
                return without;
            });
            System.out.println("removed shared database " + name);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List shared databases.")
    static final class ListShared extends ListCommand {
        @Override
        List<Map<String, Object>> rows(Registry registry) {
            return registry.sharedDatabases().stream().map(db -> row("name", db.name(), "database", db.backend().database(),
                    "backend", db.backend().embedded() ? "embedded" : db.backend().server().toString(),
                    "backendUser", db.backend().user())).toList();
        }
    }
}
