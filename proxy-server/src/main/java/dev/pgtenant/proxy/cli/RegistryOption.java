package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.RegistryFile;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --registry FILE}, falling back to PGTENANT_REGISTRY, then {@code registry.yaml}. */
final class RegistryOption {

    @Option(names = "--registry", paramLabel = "FILE",
            description = "Registry file (YAML, or JSON when it ends in .json). Default: $PGTENANT_REGISTRY or registry.yaml.")
    Path registry;

    RegistryFile file() {
        if (registry != null) {
            return new RegistryFile(registry);
        }
        String fromEnvironment = System.getenv("PGTENANT_REGISTRY");
        return new RegistryFile(Path.of(fromEnvironment == null || fromEnvironment.isBlank() ? "registry.yaml" : fromEnvironment));
    }
}
