package dev.pgtenant.bench;

import dev.pgtenant.protocol.auth.ScramCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The side-by-side benchmark: every scenario against PostgreSQL direct, PgBouncer and pgtenant, in
 * an order that rotates each round, after a warm-up round that is not counted; medians over the rounds.
 * The latency and throughput scenarios also run through the bare {@link NettyRelay}, the floor of
 * pgtenant's CPU per transaction.
 * Run by bench/compare.sh; docs/benchmarks.md explains the scenarios and holds the latest full run.
 */
public final class Compare {

    /** How long and how big: a short mode for a quick look, a full mode for the record. */
    record Mode(String name, Duration run, int rounds, int scale, int largeRows, int idleClients) {
        static final Mode SHORT = new Mode("short", Duration.ofSeconds(4), 3, 1, 20_000, 2_000);
        static final Mode FULL = new Mode("full", Duration.ofSeconds(10), 5, 10, 100_000, 10_000);

        /** More rounds, for a figure that one mode's rounds leave within the noise. */
        Mode withRounds(int count) {
            return new Mode(name, run, count, scale, largeRows, idleClients);
        }
    }

    static final int POOL_SIZE = 10;
    static final List<Integer> CLIENTS = List.of(10, 50);
    static final List<String> PROTOCOLS = List.of("simple", "extended", "prepared");
    static final int MANY_CLIENTS = 1000;
    static final int ACTIVE_CLIENTS_BESIDE_IDLE = 10;
    static final int ACTIVE_RUNS = 3;
    /** Transfers of each large result per target and round: one takes under a second, and varies by a third. */
    static final int LARGE_TRANSFERS = 3;
    static final String LARGE_SELECT = "SELECT * FROM " + BenchEnvironment.LARGE_TABLE;
    static final String LARGE_COPY = "COPY " + BenchEnvironment.LARGE_TABLE + " TO STDOUT";

    /** The scenario groups, each selectable with --scenario for a quicker look at one. */
    static final List<String> SCENARIOS = List.of("latency", "throughput", "many", "connect", "large", "idle");
    /** How many runs' time the warm-up gives -C, whose code the JIT sees once per login. */
    static final int CONNECT_WARM_UP_RUNS = 8;

    private final Mode mode;
    private final List<String> scenarios;
    private final Pgbench pgbench;
    private final Results results = new Results();
    private final ScramCredentials credentials = ScramCredentials.password(BenchEnvironment.PASSWORD);

    private Compare(Mode mode, List<String> scenarios, Path work) {
        this.mode = mode;
        this.scenarios = scenarios;
        this.pgbench = new Pgbench(BenchEnvironment.USER, BenchEnvironment.PASSWORD, work);
    }

    public static void main(String[] args) throws Exception {
        Mode mode = Mode.SHORT;
        Integer rounds = null;
        String postgresUrl = null;
        Path givenJar = null;
        String pgbouncer = "pgbouncer";
        Path out = null;
        List<String> jvmOptions = new ArrayList<>();
        List<String> scenarios = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> mode = switch (valueOf(args, ++i)) {
                    case "short" -> Mode.SHORT;
                    case "full" -> Mode.FULL;
                    default -> throw new IllegalArgumentException("--mode is short or full");
                };
                case "--rounds" -> rounds = Integer.parseInt(valueOf(args, ++i));
                case "--postgres" -> postgresUrl = valueOf(args, ++i);
                case "--pgtenant-jar" -> givenJar = Path.of(valueOf(args, ++i));
                case "--pgbouncer" -> pgbouncer = valueOf(args, ++i);
                case "--out" -> out = Path.of(valueOf(args, ++i));
                case "--pgtenant-jvm-option" -> jvmOptions.add(valueOf(args, ++i));
                case "--scenario" -> {
                    String scenario = valueOf(args, ++i);
                    if (!SCENARIOS.contains(scenario)) {
                        throw new IllegalArgumentException("--scenario is one of " + SCENARIOS);
                    }
                    scenarios.add(scenario);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: Compare [--mode short|full] [--rounds N] [--postgres URL] [--pgtenant-jar JAR] [--pgbouncer PATH] [--out FILE]"
                        + " [--pgtenant-jvm-option OPTION]... [--scenario " + String.join("|", SCENARIOS) + "]...");
            }
        }
        // Before PostgreSQL is started and filled, not minutes later when PgBouncer's turn comes.
        if (pgbouncer.isBlank() || pgbouncer.contains("/") && !Files.isExecutable(Path.of(pgbouncer))) {
            throw new IllegalArgumentException("--pgbouncer \"" + pgbouncer + "\" is not an executable file");
        }
        if (rounds != null) {
            if (rounds < 1) {
                throw new IllegalArgumentException("--rounds is at least 1");
            }
            mode = mode.withRounds(rounds);
        }
        Path work = Files.createTempDirectory("pgtenant-bench");
        if (out == null) {
            out = Path.of("bench", "results", mode.name() + "-" + Instant.now().toString().replace(":", "") + ".md");
        }
        Instant started = Instant.now();
        Compare compare = new Compare(mode, scenarios.isEmpty() ? SCENARIOS : scenarios, work);
        Path jar = givenJar != null ? givenJar : Path.of("proxy-server/target/pgtenant.jar");
        BenchEnvironment.Settings settings = new BenchEnvironment.Settings(work, postgresUrl, jar, jvmOptions, pgbouncer,
                POOL_SIZE, mode.scale(), mode.largeRows());
        String software;
        try (BenchEnvironment environment = BenchEnvironment.start(settings)) {
            software = "PostgreSQL " + environment.postgresVersion() + ", " + environment.pgbouncerVersion();
            compare.run(environment);
        }
        String report = new Report(compare.results, mode, started, Instant.now(), software, String.join(" ", args), givenJar)
                .markdown();
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, report);
        System.out.println(report);
        System.out.println("written to " + out);
        deleteRecursively(work);
    }

    /** The value after an option, or a message naming the option that lacks one. */
    private static String valueOf(String[] args, int at) {
        if (at >= args.length) {
            throw new IllegalArgumentException(args[at - 1] + " needs a value");
        }
        return args[at];
    }

    private void run(BenchEnvironment environment) throws Exception {
        // A whole round first, not counted: each scenario takes code paths of its own (waiting for a
        // pooled connection only happens beyond 10 clients, logins under -C), and a JIT compiles them
        // when they first run. Warmed up at 10 clients only, pgtenant's first round at 50 clients
        // cost half as much CPU again as the rounds after it.
        progress("warming up: one round, not counted");
        round(environment, 0, new Results(), true);
        for (int round = 0; round < mode.rounds(); round++) {
            progress("round " + (round + 1) + " of " + mode.rounds() + ", order "
                    + rotated(environment.targetsWithFloor(), round).stream().map(Target::name).toList());
            round(environment, round, results, false);
        }
        for (Target target : selected("idle") ? environment.proxies() : List.<Target>of()) {
            idleConnections(target);
        }
    }

    private void round(BenchEnvironment environment, int round, Results into, boolean warmUp) throws Exception {
        List<Target> order = rotated(environment.targets(), round);
        List<Target> orderWithFloor = rotated(environment.targetsWithFloor(), round);
        for (Target target : selected("latency") ? orderWithFloor : List.<Target>of()) {
            latencyAtOneClient(target, into);
        }
        for (int clients : selected("throughput") ? CLIENTS : List.<Integer>of()) {
            for (String protocol : PROTOCOLS) {
                for (Target target : orderWithFloor) {
                    throughput(target, clients, protocol, into);
                }
            }
        }
        for (Target target : selected("many") ? rotated(environment.proxies(), round) : List.<Target>of()) {
            manyClients(target, into);
        }
        // A login runs its code once, so the JIT compiles it fully only after thousands of logins
        // (C2 after about 15,000 calls of a method): by hand, pgtenant's user CPU per login, its JIT
        // compiler's included, fell from 2.3 ms over its first 2,000 logins to about 0.2 ms after
        // 14,000, and one run of -C makes about 4,000. With 40 s of warm-up, pgtenant's rounds still
        // rose from 345 to 429 connections/s (PgBouncer's 375 to 413, in no order).
        Duration connectRun = warmUp ? mode.run().multipliedBy(CONNECT_WARM_UP_RUNS) : mode.run();
        // The idle clients' logins need the warm-up too, run without -C's: else the JIT compiled the
        // login path during their 10,000 logins, and that counted as theirs (about 3.5 KB a client, not 1.75).
        List<Target> logins = selected("connect") ? order
                : warmUp && selected("idle") ? rotated(environment.proxies(), round) : List.of();
        for (Target target : logins) {
            connectionRate(target, connectRun, into);
        }
        for (Target target : selected("large") ? order : List.<Target>of()) {
            largeResults(target, LARGE_TRANSFERS, into);
        }
    }

    private boolean selected(String scenario) {
        return scenarios.contains(scenario);
    }

    static String latencyMetric() {
        return "select-only c=1: p50 latency (µs)";
    }

    static String tpsMetric(int clients, String protocol) {
        return "select-only c=" + clients + " -M " + protocol + ": TPS";
    }

    static String cpuMetric(int clients, String protocol) {
        return "select-only c=" + clients + " -M " + protocol + ": proxy CPU per transaction (µs)";
    }

    static final String MANY_TPS = "c=" + MANY_CLIENTS + " over pool " + POOL_SIZE + ": TPS";
    static final String MANY_P99 = "c=" + MANY_CLIENTS + " over pool " + POOL_SIZE + ": p99 latency (ms)";
    static final String MANY_ERRORS = "c=" + MANY_CLIENTS + " over pool " + POOL_SIZE + ": failed transactions";
    static final String CONNECT_RATE = "-C (new SCRAM connection per transaction): connections/s";
    static final String CONNECT_CPU = "-C: proxy CPU per connection (µs)";
    static final String CONNECT_IDLE = "-C: machine idle (%)";
    static final String LARGE_SELECT_RATE = "large SELECT: MB/s";
    static final String LARGE_COPY_RATE = "COPY out: MB/s";
    static final String IDLE_MEMORY = "idle clients: resident memory per client (bytes)";
    static final String IDLE_HEAP = "idle clients, pgtenant's share: live heap per client (bytes)";
    static final String IDLE_OUTSIDE_HEAP = "idle clients, pgtenant's share: resident outside the heap per client (bytes)";
    static final String ACTIVE_ALONE = "10 active clients alone: TPS";
    static final String ACTIVE_BESIDE_IDLE = "10 active clients beside the idle ones: TPS";

    private void latencyAtOneClient(Target target, Results into) throws Exception {
        Pgbench.Run run = pgbench.run(target, mode.run(), true, "-S", "-c", "1");
        record(into, latencyMetric(), target, run, run.percentileMicros(0.5));
    }

    private void throughput(Target target, int clients, String protocol, Results into) throws Exception {
        double cpuBefore = target.isProxy() ? ProcessStats.cpuSeconds(target.pid().getAsLong()) : 0;
        Pgbench.Run run = pgbench.run(target, mode.run(), false, "-S", "-M", protocol, "-c", Integer.toString(clients),
                "-j", "2");
        record(into, tpsMetric(clients, protocol), target, run, run.tps());
        if (target.isProxy()) {
            double cpu = ProcessStats.cpuSeconds(target.pid().getAsLong()) - cpuBefore;
            record(into, cpuMetric(clients, protocol), target, run, cpu * 1_000_000 / Math.max(1, run.transactions()));
        }
    }

    private void manyClients(Target target, Results into) throws Exception {
        // pgbench's clock runs while its thousand clients log in, so the run gets time for that too.
        Pgbench.Run run = pgbench.run(target, mode.run().plusSeconds(15), true, "-S", "-c", Integer.toString(MANY_CLIENTS), "-j", "2");
        into.add(MANY_ERRORS, target.name(), run.failed() + (run.completed() ? 0 : 1));
        record(into, MANY_TPS, target, run, run.tps());
        record(into, MANY_P99, target, run, run.percentileMicros(0.99) / 1000);
    }

    /**
     * With the rate, what each connection cost the proxy and how much of the machine sat idle, so
     * that a lower rate can be told apart as the proxy's own CPU or as cores left idle (while
     * pgbench's threads wait on replies, for one): the machine is saturated by pgbench's SCRAM.
     */
    private void connectionRate(Target target, Duration duration, Results into) throws Exception {
        double cpuBefore = target.isProxy() ? ProcessStats.cpuSeconds(target.pid().getAsLong()) : 0;
        long[] machineBefore = ProcessStats.machineTicks();
        Pgbench.Run run = pgbench.run(target, duration, false, "-S", "-C", "-c", "10", "-j", "2");
        long[] machineAfter = ProcessStats.machineTicks();
        record(into, CONNECT_RATE, target, run, run.tps());
        record(into, CONNECT_IDLE, target, run, ProcessStats.idlePercent(machineBefore, machineAfter));
        if (target.isProxy()) {
            double cpu = ProcessStats.cpuSeconds(target.pid().getAsLong()) - cpuBefore;
            record(into, CONNECT_CPU, target, run, cpu * 1_000_000 / Math.max(1, run.transactions()));
        }
    }

    private void largeResults(Target target, int transfers, Results into) throws IOException {
        try (WireClient client = WireClient.login(target, BenchEnvironment.USER, credentials)) {
            for (int transfer = 0; transfer < transfers; transfer++) {
                for (String[] query : List.of(new String[] {LARGE_SELECT_RATE, LARGE_SELECT}, new String[] {LARGE_COPY_RATE, LARGE_COPY})) {
                    long start = System.nanoTime();
                    long bytes = client.drain(query[1]);
                    double seconds = (System.nanoTime() - start) / 1e9;
                    into.add(query[0], target.name(), bytes / 1e6 / seconds);
                }
            }
        } catch (IOException e) {
            into.fail(LARGE_SELECT_RATE, target.name(), e.getMessage());
            into.fail(LARGE_COPY_RATE, target.name(), e.getMessage());
        }
    }

    /**
     * Memory per idle client is measured over all but the first tenth of the clients, which log in
     * first and stay: the cost of each client more in a process already holding idle ones. A burst
     * of idle logins is new to a process that the warm-up's -C has only seen log in and out, and the
     * JIT compiles for it during the first ones: by hand at de53995, with the clients measured from
     * the first, pgtenant's compiler arenas reached 7.7 MB during the logins, and what the C library
     * kept of them after trimming made hundreds of bytes per client outside the heap, from run to
     * run, while the JVM's tracked memory there grew by 6 bytes a client.
     */
    private void idleConnections(Target target) throws Exception {
        progress(target.name() + ": " + mode.idleClients() + " idle clients");
        long pid = target.pid().getAsLong();
        activeClients(target, ACTIVE_ALONE);
        boolean jvm = target.name().equals(Target.PGTENANT);
        int unmeasured = mode.idleClients() / 10;
        List<WireClient> idle = new ArrayList<>();
        try {
            logIn(target, idle, unmeasured);
            long liveBefore = jvm ? ProcessStats.liveHeapBytes(pid) : 0;
            long outsideHeapBefore = jvm ? ProcessStats.residentOutsideHeapBytes(pid) : 0;
            long before = jvm ? 0 : ProcessStats.residentBytes(pid);
            logIn(target, idle, mode.idleClients() - unmeasured);
            int measured = idle.size() - unmeasured;
            long perClient;
            if (jvm) {
                // A JVM's heap grows by what the garbage of the logins needed, which says nothing about
                // an idle client: count the live objects the clients hold, and the RSS growth outside the heap.
                long liveGrowth = ProcessStats.liveHeapBytes(pid) - liveBefore;
                long outsideHeapGrowth = ProcessStats.residentOutsideHeapBytes(pid) - outsideHeapBefore;
                perClient = (Math.max(0, liveGrowth) + Math.max(0, outsideHeapGrowth)) / measured;
                // Its two parts, since they vary from run to run for reasons of their own.
                results.add(IDLE_HEAP, target.name(), liveGrowth / measured);
                results.add(IDLE_OUTSIDE_HEAP, target.name(), outsideHeapGrowth / measured);
            } else {
                perClient = (ProcessStats.residentBytes(pid) - before) / measured;
            }
            results.add(IDLE_MEMORY, target.name(), perClient);
            activeClients(target, ACTIVE_BESIDE_IDLE);
        } catch (IOException e) {
            results.fail(IDLE_MEMORY, target.name(), "after " + idle.size() + " clients: " + e.getMessage());
        } finally {
            idle.forEach(WireClient::close);
        }
    }

    private void logIn(Target target, List<WireClient> idle, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            idle.add(WireClient.login(target, BenchEnvironment.USER, credentials));
        }
    }

    /** Several runs, since this machine's noise is as large as the drop to be measured; the report takes their median. */
    private void activeClients(Target target, String metric) throws Exception {
        for (int run = 0; run < ACTIVE_RUNS; run++) {
            Pgbench.Run active = pgbench.run(target, mode.run(), false, "-S", "-c", Integer.toString(ACTIVE_CLIENTS_BESIDE_IDLE),
                    "-j", "2");
            record(results, metric, target, active, active.tps());
        }
    }

    private void record(Results into, String metric, Target target, Pgbench.Run run, double value) {
        if (run.clean()) {
            into.add(metric, target.name(), value);
        } else {
            into.fail(metric, target.name(), firstError(run.output()));
        }
    }

    private static String firstError(String output) {
        return Arrays.stream(output.split("\n")).filter(line -> line.contains("error") || line.contains("ERROR"))
                .findFirst().orElse("pgbench did not complete").strip();
    }

    private static <T> List<T> rotated(List<T> list, int by) {
        List<T> copy = new ArrayList<>(list);
        Collections.rotate(copy, -by);
        return copy;
    }

    private static void progress(String message) {
        System.err.println("[" + Instant.now().toString().substring(11, 19) + "] " + message);
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
