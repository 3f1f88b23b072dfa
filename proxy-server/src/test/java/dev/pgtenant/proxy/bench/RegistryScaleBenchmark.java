package dev.pgtenant.proxy.bench;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryFile;
import dev.pgtenant.config.registry.RegistryStore;
import dev.pgtenant.config.registry.RegistryWatcher;
import dev.pgtenant.config.registry.Secret;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.proxy.routing.Router;
import dev.pgtenant.testkit.Await;
import dev.pgtenant.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How the registry behaves at 10,000 organizations and 100,000 users: file size, load (reload)
 * time, memory held by the snapshot, and the cost of what each login does with it (user lookup,
 * home organization, routing) compared with a 10-organization registry. Run by bench/registry-scale.sh.
 */
public final class RegistryScaleBenchmark {

    private static final int LOOKUPS = 2_000_000;

    private RegistryScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int orgs = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int users = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Path directory = Files.createTempDirectory("pgtenant-registry-scale");
        ScramVerifier verifier = ScramVerifier.fromPassword("benchmark");

        Registry large = build(orgs, users, verifier);
        Registry small = build(10, 100, verifier);
        RegistryFile file = new RegistryFile(directory.resolve("registry.yaml"));
        long writeStart = System.nanoTime();
        file.replace(large);
        long writeMillis = (System.nanoTime() - writeStart) / 1_000_000;

        long[] loads = new long[5];
        Registry loaded = null;
        for (int i = 0; i < loads.length; i++) {
            long start = System.nanoTime();
            loaded = file.load();
            loads[i] = (System.nanoTime() - start) / 1_000_000;
        }
        java.util.Arrays.sort(loads);

        long before = usedHeap();
        Registry held = file.load();
        long after = usedHeap();

        double smallNanos = lookupNanos(small, 100);
        double largeNanos = lookupNanos(loaded, users);

        Map<String, Object> results = new java.util.LinkedHashMap<>();
        results.put("organizations", held.organizations().size());
        results.put("users", held.users().size());
        results.put("file_mib", String.format("%.1f", Files.size(file.path()) / 1048576.0));
        results.put("write_ms", writeMillis);
        results.put("load_ms_median_of_5", loads[2]);
        results.put("snapshot_heap_mib", String.format("%.1f", (after - before) / 1048576.0));
        results.put("login_lookup_ns_10_orgs", String.format("%.0f", smallNanos));
        results.put("login_lookup_ns_large", String.format("%.0f", largeNanos));
        results.put("ratio_large_over_small", String.format("%.2f", largeNanos / smallNanos));
        results.putAll(postgresStore(large, verifier));
        results.forEach((key, value) -> System.out.println(key + "\t" + value));
        Files.deleteIfExists(file.path());
        Files.deleteIfExists(directory.resolve("registry.yaml.lock"));
        Files.deleteIfExists(directory);
    }

    /**
     * The PostgreSQL store at the same size (on the test PostgreSQL): writing it all, and the time from
     * a one-user change committed by another store to a watcher holding the new snapshot.
     */
    private static Map<String, Object> postgresStore(Registry large, ScramVerifier verifier) throws Exception {
        TestPostgres postgres = TestPostgres.get();
        String control = postgres.createDatabase("pgtenant_scale");
        Map<String, Object> results = new java.util.LinkedHashMap<>();
        try (RegistryStore writer = RegistryStore.open(postgres.url(control));
             RegistryStore reader = RegistryStore.open(postgres.url(control))) {
            long start = System.nanoTime();
            writer.replace(large);
            results.put("pg_write_all_ms", (System.nanoTime() - start) / 1_000_000);
            AtomicReference<Registry> latest = new AtomicReference<>();
            try (RegistryWatcher watcher = reader.watch(Duration.ofSeconds(1), (previous, next) -> latest.set(next))) {
                long[] updates = new long[5];
                long[] reloads = new long[5];
                for (int i = 0; i < reloads.length; i++) {
                    String name = "added" + i;
                    long started = System.nanoTime();
                    writer.update(r -> r.withUser(new User(name, verifier, "0", Set.of(), Set.of(), false)));
                    long committed = System.nanoTime();
                    Await.until(() -> watcher.get().user(name).isPresent(), Duration.ofSeconds(30), () -> "no reload");
                    updates[i] = (committed - started) / 1_000_000;
                    reloads[i] = (System.nanoTime() - committed) / 1_000_000;
                }
                java.util.Arrays.sort(updates);
                java.util.Arrays.sort(reloads);
                results.put("pg_one_user_update_ms_median_of_5", updates[2]);
                results.put("pg_commit_to_reloaded_ms_median_of_5", reloads[2]);
            }
        } finally {
            postgres.execute("DROP DATABASE " + control + " WITH (FORCE)");
        }
        return results;
    }

    private static Registry build(int orgs, int users, ScramVerifier verifier) {
        Map<String, Organization> organizations = new HashMap<>();
        BackendAddress server = new BackendAddress("10.0.0.5", 5432);
        for (int i = 0; i < orgs; i++) {
            String id = Integer.toString(i);
            organizations.put(id, new Organization(id, new BackendLogin(server, "orgdata_" + id, "org" + id + "_app",
                    Secret.ofEnv("ORG" + id + "_PASSWORD"))));
        }
        Map<String, User> all = new HashMap<>();
        for (int i = 0; i < users; i++) {
            String name = "user" + i;
            all.put(name, new User(name, verifier, Integer.toString(i % orgs), Set.of(), Set.of(), false));
        }
        return new Registry(organizations, all, Map.of());
    }

    /** The registry work of one login: find the user, its home organization, route to its database. */
    private static double lookupNanos(Registry registry, int users) {
        Router router = new Router(List.of("app"));
        SplittableRandom random = new SplittableRandom(7);
        String[] names = new String[4096];
        for (int i = 0; i < names.length; i++) {
            names[i] = "user" + random.nextInt(users);
        }
        long sink = 0;
        for (int warmup = 0; warmup < 3; warmup++) {
            sink += run(registry, router, names, LOOKUPS / 4);
        }
        long start = System.nanoTime();
        sink += run(registry, router, names, LOOKUPS);
        double nanos = (double) (System.nanoTime() - start) / LOOKUPS;
        if (sink == 42) {
            System.out.println();
        }
        return nanos;
    }

    private static long run(Registry registry, Router router, String[] names, int count) {
        long sink = 0;
        for (int i = 0; i < count; i++) {
            User user = registry.user(names[i & (names.length - 1)]).orElseThrow();
            registry.organization(user.org()).orElseThrow();
            sink += router.route(registry, user, "app").hashCode();
        }
        return sink;
    }

    /** Heap in use after full collections (System.gc() runs one to completion on the default collector). */
    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
