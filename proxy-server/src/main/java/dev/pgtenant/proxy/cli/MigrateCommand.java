package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.proxy.migrate.Migration;
import dev.pgtenant.proxy.migrate.OrgMigrator;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pgtenant migrate}: applies versioned SQL files to organization databases. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
        description = "Apply versioned SQL files (V1__name.sql, ...) to organization databases, each file in its own transaction.")
final class MigrateCommand implements Callable<Integer> {

    /** Exit code when at least one organization failed. */
    static final int EXIT_SOME_FAILED = 4;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of V<n>__<name>.sql files.")
    Path directory;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
        @Option(names = "--org", paramLabel = "ID", description = "Only this organization.")
        String org;

        @Option(names = "--all", description = "Every organization in the registry.")
        boolean all;
    }

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "4", description = "Organizations migrated at once (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--dry-run", description = "Only report what would be applied.")
    boolean dryRun;

    @Option(names = "--output", paramLabel = "FORMAT", defaultValue = "text", description = "text or json.")
    String output;

    @Mixin
    RegistryOption registry;

    @Mixin
    EmbeddedLocation embedded;

    @Override
    public Integer call() throws Exception {
        Output.checkFormat(output);
        if (parallel < 1 || parallel > 64) {
            throw new RegistryException("--parallel must be between 1 and 64");
        }
        List<Migration> migrations = Migration.load(directory);
        Registry loaded = registry.load();
        List<Organization> orgs = OrgDatabases.select(loaded, which.all ? null : which.org);
        Progress progress = new Progress(orgs.size());
        ExecutorService workers = Executors.newFixedThreadPool(parallel);
        List<OrgMigrator.Result> results = new ArrayList<>();
        try {
            List<Future<OrgMigrator.Result>> running = new ArrayList<>();
            for (Organization org : orgs) {
                running.add(workers.submit(() -> {
                    OrgMigrator.Result result = migrate(org, migrations);
                    progress.done(result);
                    return result;
                }));
            }
            for (Future<OrgMigrator.Result> result : running) {
                results.add(result.get());
            }
        } finally {
            workers.shutdownNow();
        }
        progress.finish();
        int failed = (int) results.stream().filter(OrgMigrator.Result::failed).count();
        if (output.equals("json")) {
            List<java.util.Map<String, Object>> rows = new ArrayList<>();
            for (OrgMigrator.Result result : results) {
                rows.add(ListCommand.row("org", result.org(), "applied", result.applied(),
                        "pending", result.pending(), "error", result.error()));
            }
            Output.print("json", rows, List.of());
            return failed > 0 ? EXIT_SOME_FAILED : 0;
        }
        failed = 0;
        for (OrgMigrator.Result result : results) {
            if (result.failed()) {
                failed++;
                System.out.println("  " + result.org() + ": FAILED after " + result.applied() + " applied: " + result.error());
            } else if (dryRun) {
                System.out.println("  " + result.org() + ": " + result.pending() + " to apply");
            } else {
                System.out.println("  " + result.org() + ": " + result.applied() + " applied, up to date");
            }
        }
        System.out.println((dryRun ? "dry run: " : "") + (results.size() - failed) + " of " + results.size()
                + " organizations " + (dryRun ? "checked" : "up to date") + (failed > 0 ? ", " + failed + " failed" : ""));
        return failed > 0 ? EXIT_SOME_FAILED : 0;
    }

    private OrgMigrator.Result migrate(Organization org, List<Migration> migrations) {
        BackendLogin login = org.backend();
        try (Connection connection = OrgDatabases.open(embedded.resolve(login.server()), login)) {
            return OrgMigrator.migrate(org.id(), connection, migrations, dryRun);
        } catch (SQLException | RegistryException e) {
            return new OrgMigrator.Result(org.id(), 0, -1, "cannot connect: " + e.getMessage());
        }
    }

    /** A one-line progress display when standard output is a terminal. */
    private static final class Progress {
        private final int total;
        private final AtomicInteger finished = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final boolean terminal = System.console() != null;

        Progress(int total) {
            this.total = total;
        }

        void done(OrgMigrator.Result result) {
            int count = finished.incrementAndGet();
            if (result.failed()) {
                failed.incrementAndGet();
            }
            if (terminal) {
                synchronized (this) {
                    System.out.print("\rmigrating: " + count + "/" + total + " organizations, " + failed.get() + " failed");
                    System.out.flush();
                }
            }
        }

        void finish() {
            if (terminal) {
                System.out.println();
            }
        }
    }
}
