package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.ConfigException;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.proxy.logging.LogFlush;
import dev.pgtenant.proxy.server.LeakDetection;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pgtenant} command: the proxy server and the tools to manage its registry. */
@Command(name = "pgtenant", mixinStandardHelpOptions = true, version = "pgtenant 0.1.0",
        description = "Multi-tenant PostgreSQL router: one database per organization, one endpoint for every client.",
        subcommands = {ServeCommand.class, DemoCommand.class, OrgCommand.class, UserCommand.class, SharedCommand.class, RegistryCommand.class, MigrateCommand.class, CheckCommand.class})
public final class PgTenant {

    /** Exit code for a configuration or registry problem the user can fix. */
    static final int EXIT_INVALID = 3;
    /** Exit code for a runtime failure (a backend or registry database that cannot be reached, I/O). */
    static final int EXIT_FAILED = 1;

    public static void main(String[] args) {
        LeakDetection.configure();
        int status = run(args);
        LogFlush.atExit();
        System.exit(status);
    }

    public static int run(String... args) {
        CommandLine commandLine = new CommandLine(new PgTenant());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // After the log lines that led up to it, which the background writer may still hold.
            LogFlush.writeOutLoggedLines();
            cmd.getErr().println("pgtenant: " + e.getMessage());
            return e instanceof RegistryException || e instanceof ConfigException || e instanceof ProtocolException
                    ? EXIT_INVALID : EXIT_FAILED;
        });
        return commandLine.execute(args);
    }
}
