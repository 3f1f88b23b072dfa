package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.config.registry.User;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pgtenant check}: for each organization, can its backend be reached, does its database
 * exist, do its credentials work; and, with {@code --proxy}, does a user's login through a running
 * proxy land in its organization's database.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Check organizations' backends, databases and credentials, and routing through a running proxy.")
final class CheckCommand implements Callable<Integer> {

    @Option(names = "--org", paramLabel = "ID", description = "Only this organization.")
    String org;

    @Option(names = "--proxy", paramLabel = "HOST:PORT", description = "A running proxy to check routing through.")
    String proxy;

    @Option(names = "--user", paramLabel = "NAME", description = "With --proxy: the user to log in as (its password on standard input).")
    String user;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    String output;

    @Mixin
    RegistryOption registry;

    @Mixin
    EmbeddedLocation embedded;

    @Override
    public Integer call() throws Exception {
        Output.checkFormat(output);
        Registry loaded = registry.load();
        List<Organization> orgs = OrgDatabases.select(loaded, org);
        List<String> failures = new ArrayList<>();
        List<java.util.Map<String, Object>> rows = new ArrayList<>();
        for (Organization organization : orgs) {
            String problem = checkBackend(organization.backend());
            rows.add(ListCommand.row("check", organization.id(), "ok", problem == null, "detail", problem == null
                    ? "backend reachable, database " + organization.database() + " exists, credentials work" : problem));
            if (problem != null) {
                failures.add(organization.id());
            }
        }
        if (proxy != null) {
            String problem = checkRouting(loaded);
            rows.add(ListCommand.row("check", "routing", "ok", problem == null, "detail",
                    problem == null ? "user " + user + " lands in its organization's database" : problem));
            if (problem != null) {
                failures.add("routing");
            }
        }
        if (output.equals("json")) {
            Output.print("json", rows, List.of());
        } else {
            rows.forEach(row -> System.out.println("  " + row.get("check") + ": " + row.get("detail")));
            System.out.println(failures.isEmpty() ? "all checks passed" : failures.size() + " checks failed: " + failures);
        }
        return failures.isEmpty() ? 0 : MigrateCommand.EXIT_SOME_FAILED;
    }

    private String checkBackend(BackendLogin login) {
        BackendAddress server;
        try {
            server = embedded.resolve(login.server());
        } catch (RegistryException e) {
            return "FAILED: " + e.getMessage();
        }
        try (Connection connection = OrgDatabases.open(server, login)) {
            return connection.isValid(10) ? null : "FAILED: the backend did not answer";
        } catch (RegistryException e) {
            return "FAILED: " + e.getMessage();
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.equals("3D000")) {
                return "FAILED: database " + login.database() + " does not exist on " + server;
            }
            if (state.startsWith("28")) {
                return "FAILED: the credentials of role " + login.user() + " do not work (" + e.getMessage() + ")";
            }
            if (state.startsWith("08")) {
                return "FAILED: backend " + server + " cannot be reached (" + e.getMessage() + ")";
            }
            return "FAILED: " + e.getMessage();
        }
    }

    private String checkRouting(Registry loaded) {
        if (user == null) {
            throw new RegistryException("--proxy needs --user, with the user's password on standard input");
        }
        User known = loaded.user(user).orElseThrow(() -> new RegistryException("user " + user + " does not exist"));
        Organization home = loaded.organization(known.org())
                .orElseThrow(() -> new RegistryException("user " + user + " has no existing home organization"));
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", StandardInput.readSecret("password of " + user));
        properties.setProperty("connectTimeout", "10");
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://" + proxy + "/app", properties);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT current_database()")) {
            rows.next();
            String landed = rows.getString(1);
            return landed.equals(home.database()) ? null
                    : "FAILED: user " + user + " landed in " + landed + ", not " + home.database();
        } catch (SQLException e) {
            return "FAILED: cannot log in through " + proxy + ": " + e.getMessage();
        }
    }
}
