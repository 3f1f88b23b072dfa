package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.ConfigLoader;
import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryStore;
import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import dev.pgtenant.proxy.logging.LogFlush;
import dev.pgtenant.proxy.server.ProxyService;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgtenant serve}: runs the proxy until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the proxy. Databases without a configured backend live on an embedded PostgreSQL.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", description = "Configuration file (YAML or JSON); see docs/configuration.md.")
    Path config;

    @Option(names = "--registry", paramLabel = "FILE|URL",
            description = "Registry file, or postgresql://USER@HOST:PORT/DATABASE for a shared store; overrides the configuration.")
    String registry;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address to listen on; overrides the configuration.")
    String listen;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the embedded PostgreSQL keeps its data.")
    String dataDirectory;

    @Override
    public Integer call() throws InterruptedException {
        ProxyConfig settings = new ConfigLoader().load(config);
        if (registry != null) {
            settings = settings.withRegistry(registry);
        }
        if (listen != null) {
            settings = settings.withListen(listen);
        }
        if (dataDirectory != null) {
            settings = settings.withDataDirectory(dataDirectory);
        }
        RegistryStore store = RegistryStore.open(settings.registry());
        Registry loaded;
        try {
            loaded = store.load();
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        // A shared registry never relies on a proxy's own embedded backend (the store refuses such entries).
        boolean needsEmbedded = !store.shared() && (loaded.organizations().isEmpty() && loaded.sharedDatabases().isEmpty()
                || Stream.concat(loaded.organizations().stream().map(o -> o.backend()),
                        loaded.sharedDatabases().stream().map(s -> s.backend())).anyMatch(b -> b.embedded()));
        EmbeddedBackend embedded = needsEmbedded
                ? EmbeddedBackend.start(Path.of(settings.dataDirectory()), settings.embeddedPort()) : null;
        BackendAddress embeddedAddress = embedded == null ? null : embedded.address();
        ProxyService service = ProxyService.start(settings, store, embeddedAddress);
        // The JVM halts when its hooks return, so the hook itself writes out the queued log lines.
        Thread shutdown = new Thread(() -> {
            try {
                service.close();
                store.close();
                if (embedded != null) {
                    embedded.close();
                }
            } finally {
                LogFlush.atExit();
            }
        }, "pgtenant-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        if (loaded.organizations().isEmpty()) {
            System.out.println("The registry " + store.location() + " has no organizations yet: add one with "
                    + "`pgtenant org create`, or try `pgtenant demo`.");
        }
        service.server().awaitClose();
        // The server closes in the hook, which goes on logging; main stops logging once we return.
        shutdown.join();
        return 0;
    }
}
