package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where a command finds the embedded backend, for organizations registered without a backend
 * address: the one {@code pgtenant serve} (or {@code demo}) is running with the given data directory.
 */
final class EmbeddedLocation {

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:PGTENANT_DATA_DIRECTORY:-pgtenant-data}",
            description = "Data directory of the running pgtenant serve, for organizations on the embedded backend "
                    + "(default: $PGTENANT_DATA_DIRECTORY, else pgtenant-data; pgtenant demo uses pgtenant-demo).")
    Path dataDirectory;

    /** {@code server}, or the running embedded backend when it is {@code null}. */
    BackendAddress resolve(BackendAddress server) {
        if (server != null) {
            return server;
        }
        return EmbeddedBackend.runningAt(dataDirectory).orElseThrow(() -> new RegistryException(
                "the embedded backend is not running with data directory " + dataDirectory
                        + ": start pgtenant serve, or give --data-dir the directory it runs with"));
    }
}
