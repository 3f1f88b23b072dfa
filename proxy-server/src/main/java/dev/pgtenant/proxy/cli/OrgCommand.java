package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Names;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.config.registry.Secret;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtenant org ...}: organizations in the registry. */
@Command(name = "org", mixinStandardHelpOptions = true, description = "Manage organizations.",
        subcommands = {OrgCommand.Create.class, OrgCommand.ListOrgs.class})
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

        @Override
        public Integer call() {
            Names.requireOrgId(id);
            String db = database == null ? Names.defaultDatabase(id) : database;
            BackendAddress server = backend == null ? null : BackendAddress.parse(backend);
            Secret secret = password == null ? null : password.secret();
            Organization org = new Organization(id, new BackendLogin(server, db, backendUser == null ? db : backendUser, secret));
            registry.file().update(current -> {
                if (current.organization(id).isPresent()) {
                    throw new RegistryException("organization " + id + " already exists");
                }
                return current.withOrganization(org);
            });
            System.out.println("created organization " + id + " (database " + db + " on "
                    + (server == null ? "the embedded backend" : server) + ")");
            return 0;
        }
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
