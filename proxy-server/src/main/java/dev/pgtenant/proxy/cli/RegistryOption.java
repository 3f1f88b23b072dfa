package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.ConfigLoader;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryStore;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Option;

/**
 * Where the registry is: {@code --registry FILE|URL}, else the {@code registry} key of
 * {@code --config FILE} (which $PGTENANT_REGISTRY overrides, as for serve), else $PGTENANT_REGISTRY,
 * else {@code registry.yaml}.
 */
final class RegistryOption {

    @Option(names = "--registry", paramLabel = "FILE|URL",
            description = "Registry file (YAML, or JSON when it ends in .json), or postgresql://USER@HOST:PORT/DATABASE "
                    + "for the shared store. Default: $PGTENANT_REGISTRY, else from --config, else registry.yaml.")
    String registry;

    @Option(names = "--config", paramLabel = "FILE", description = "Take the registry location from this configuration file.")
    Path config;

    String location() {
        if (registry != null) {
            return registry;
        }
        if (config != null) {
            return new ConfigLoader().load(config).registry();
        }
        String fromEnvironment = System.getenv("PGTENANT_REGISTRY");
        return fromEnvironment == null || fromEnvironment.isBlank() ? "registry.yaml" : fromEnvironment;
    }

    /** The registry as stored now. */
    Registry load() {
        try (RegistryStore store = RegistryStore.open(location())) {
            return store.load();
        }
    }

    /** Applies {@code change} atomically with respect to every other writer of the store. */
    Registry update(UnaryOperator<Registry> change) {
        try (RegistryStore store = RegistryStore.open(location())) {
            return store.update(change);
        }
    }
}
