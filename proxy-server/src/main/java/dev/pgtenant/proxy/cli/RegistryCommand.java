package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.config.registry.RegistryFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code pgtenant registry export|import}: the whole registry as JSON, to move it between stores. */
@Command(name = "registry", mixinStandardHelpOptions = true, description = "Export or import the whole registry as JSON.",
        subcommands = {RegistryCommand.Export.class, RegistryCommand.Import.class})
final class RegistryCommand {

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Write the registry as JSON to standard output or a file.")
    static final class Export implements Callable<Integer> {
        @Mixin
        RegistryOption registry;

        @Option(names = "--to", paramLabel = "FILE", description = "Write here (a .json file) instead of standard output.")
        Path to;

        @Override
        public Integer call() throws IOException {
            Registry loaded = registry.load();
            if (to != null) {
                requireJson(to);
                new RegistryFile(to).replace(loaded);
                return 0;
            }
            Path directory = Files.createTempDirectory("pgtenant-export");
            Path temporary = directory.resolve("registry.json");
            try {
                new RegistryFile(temporary).replace(loaded);
                System.out.println(Files.readString(temporary));
            } finally {
                Files.deleteIfExists(temporary);
                Files.deleteIfExists(directory.resolve("registry.json.lock"));
                Files.deleteIfExists(directory);
            }
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true,
            description = "Read a JSON export into the registry: entries with the same id or name are replaced.")
    static final class Import implements Callable<Integer> {
        @Parameters(paramLabel = "FILE", description = "A file written by `pgtenant registry export`.")
        Path from;

        @Mixin
        RegistryOption registry;

        @Option(names = "--replace", description = "Replace the whole registry instead of merging into it.")
        boolean replace;

        @Override
        public Integer call() {
            requireJson(from);
            if (!Files.exists(from)) {
                throw new RegistryException("export file " + from + " does not exist");
            }
            Registry imported = new RegistryFile(from).load();
            Registry result = registry.update(current -> {
                Registry merged = replace ? Registry.EMPTY : current;
                java.util.Set<String> importedUsers = imported.users().stream().map(user -> user.name())
                        .collect(java.util.stream.Collectors.toSet());
                for (var org : imported.organizations()) {
                    if (merged.organization(org.id()).isEmpty()) {
                        OrgCommand.refuseLeftoverUsers(merged, org.id(), importedUsers);
                    }
                    merged = merged.withOrganization(org);
                }
                for (var shared : imported.sharedDatabases()) {
                    merged = merged.withSharedDatabase(shared);
                }
                for (var user : imported.users()) {
                    merged = merged.withUser(user);
                }
                return merged;
            });
            System.out.println("imported " + imported.organizations().size() + " organizations, "
                    + imported.users().size() + " users, " + imported.sharedDatabases().size() + " shared databases; the registry has "
                    + result.organizations().size() + " organizations and " + result.users().size() + " users");
            return 0;
        }
    }

    private static void requireJson(Path file) {
        if (!file.getFileName().toString().endsWith(".json")) {
            throw new RegistryException(file + ": exports are JSON files, ending in .json");
        }
    }
}
