package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.ConfigLoader;
import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.proxy.embedded.EmbeddedBackend;
import dev.pgtenant.proxy.logging.LogFlush;
import dev.pgtenant.proxy.provision.Demo;
import dev.pgtenant.proxy.server.ProxyServer;
import dev.pgtenant.proxy.server.ProxyService;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pgtenant demo}: an embedded PostgreSQL, two organizations with a user each, and the proxy. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start an embedded PostgreSQL with two demo organizations and users, run the proxy, print psql lines.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:6432",
            description = "Address for the proxy (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "pgtenant-demo",
            description = "Where the demo keeps its PostgreSQL data and registry (default: ${DEFAULT-VALUE}).")
    Path dataDirectory;

    @Override
    public Integer call() throws SQLException, InterruptedException {
        EmbeddedBackend embedded = EmbeddedBackend.start(dataDirectory, 0);
        RegistryFile registry = new RegistryFile(dataDirectory.resolve("registry.yaml"));
        List<Demo.DemoUser> users = Demo.prepare(embedded, registry);
        ProxyConfig settings = new ConfigLoader().load(null).withListen(listen).withRegistry(registry.path().toString());
        ProxyService service = ProxyService.start(settings, registry, embedded.address());
        ProxyServer server = service.server();
        // The JVM halts when its hooks return, so the hook itself writes out the queued log lines.
        Thread shutdown = new Thread(() -> {
            try {
                service.close();
                embedded.close();
            } finally {
                LogFlush.atExit();
            }
        }, "pgtenant-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        String host = settings.listenAddress().host();
        System.out.println();
        System.out.println("pgtenant demo is running. Each user lands in its own organization's database:");
        for (Demo.DemoUser user : users) {
            System.out.printf("  psql \"postgresql://%s:%s@%s:%d/app\" -c 'SELECT * FROM notes'    # organization %s%n",
                    user.name(), user.password(), host, server.port(), user.org());
        }
        System.out.println("Registry: " + registry.path() + ". Stop with Ctrl-C.");
        server.awaitClose();
        // The server closes in the hook, which goes on logging; main stops logging once we return.
        shutdown.join();
        return 0;
    }
}
