package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.ConfigLoader;
import dev.pgtenant.config.registry.RegistryFile;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Where the registry is: {@code --registry FILE}, else the {@code registry} key of
 * {@code --config FILE} (which $PGTENANT_REGISTRY overrides, as for serve), else $PGTENANT_REGISTRY,
 * else {@code registry.yaml}.
 */
final class RegistryOption {

    @Option(names = "--registry", paramLabel = "FILE",
            description = "Registry file (YAML, or JSON when it ends in .json). Default: from --config, $PGTENANT_REGISTRY or registry.yaml.")
    Path registry;

    @Option(names = "--config", paramLabel = "FILE", description = "Take the registry location from this configuration file.")
    Path config;

    RegistryFile file() {
        if (registry != null) {
            return new RegistryFile(registry);
        }
        if (config != null) {
            return new RegistryFile(Path.of(new ConfigLoader().load(config).registry()));
        }
        String fromEnvironment = System.getenv("PGTENANT_REGISTRY");
        return new RegistryFile(Path.of(fromEnvironment == null || fromEnvironment.isBlank() ? "registry.yaml" : fromEnvironment));
    }
}
