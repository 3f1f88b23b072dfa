package dev.pgtenant.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** The benchmark's result as Markdown: one table of figures and ratios with every target marked, then the raw rounds. */
final class Report {

    private static final String DIRECT = Target.DIRECT;
    private static final String BOUNCER = Target.PGBOUNCER;
    private static final String TENANT = Target.PGTENANT;
    private static final String FLOOR = Target.NETTY_RELAY;

    private final Results results;
    private final Compare.Mode mode;
    private final Instant started;
    private final Instant finished;
    private final String software;
    private final String arguments;
    private final Path givenJar;
    private final List<String> lines = new ArrayList<>();
    private final List<String> roundsHeld = new ArrayList<>();
    private int met;
    private int missed;

    /** {@code givenJar}: the pgtenant jar named by --pgtenant-jar, null for the one built from the repository. */
    Report(Results results, Compare.Mode mode, Instant started, Instant finished, String software, String arguments,
            Path givenJar) {
        this.results = results;
        this.mode = mode;
        this.started = started;
        this.finished = finished;
        this.software = software;
        this.arguments = arguments;
        this.givenJar = givenJar;
    }

    String markdown() {
        lines.add("| Scenario | direct | PgBouncer | pgtenant | Netty relay | pgtenant / PgBouncer | pgtenant / direct"
                + " | Netty relay / PgBouncer | Target | Met |");
        lines.add("|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
        String latency = Compare.latencyMetric();
        row(latency, "%.0f", null, null);
        double addedBouncer = median(latency, BOUNCER) - median(latency, DIRECT);
        double addedTenant = median(latency, TENANT) - median(latency, DIRECT);
        double addedFloor = median(latency, FLOOR) - median(latency, DIRECT);
        String added = "select-only c=1: p50 latency added over direct (µs)";
        derivedRow(added, addedBouncer, addedTenant, addedFloor, "%.0f", "≤ PgBouncer's", addedTenant <= addedBouncer, true);
        // Over the same round's direct figure for both, adding less is being faster.
        countRoundsHeld(added, latency, "≤ PgBouncer's", (tenant, bouncer) -> tenant <= bouncer);
        for (int clients : Compare.CLIENTS) {
            for (String protocol : Compare.PROTOCOLS) {
                row(Compare.tpsMetric(clients, protocol), "%.0f", "≥ 1.1 × PgBouncer", ratioAtLeast(1.1));
            }
        }
        for (int clients : Compare.CLIENTS) {
            for (String protocol : Compare.PROTOCOLS) {
                row(Compare.cpuMetric(clients, protocol), "%.1f", "≤ PgBouncer's", (tenant, bouncer) -> tenant <= bouncer);
            }
        }
        row(Compare.MANY_TPS, "%.0f", "≥ PgBouncer's", (tenant, bouncer) -> tenant >= bouncer);
        row(Compare.MANY_P99, "%.1f", "≤ PgBouncer's", (tenant, bouncer) -> tenant <= bouncer);
        row(Compare.MANY_ERRORS, "%.0f", "0", (tenant, bouncer) -> tenant == 0);
        row(Compare.CONNECT_RATE, "%.0f", "≥ PgBouncer's", (tenant, bouncer) -> tenant >= bouncer);
        row(Compare.CONNECT_CPU, "%.0f", null, null);
        row(Compare.CONNECT_IDLE, "%.1f", null, null);
        directRow(Compare.LARGE_SELECT_RATE);
        directRow(Compare.LARGE_COPY_RATE);
        row(Compare.IDLE_MEMORY, "%.0f", "≤ 2048", (tenant, bouncer) -> tenant <= 2048);
        row(Compare.IDLE_HEAP, "%.0f", null, null);
        row(Compare.IDLE_OUTSIDE_HEAP, "%.0f", null, null);
        row(Compare.ACTIVE_ALONE, "%.0f", null, null);
        row(Compare.ACTIVE_BESIDE_IDLE, "%.0f", null, null);
        double dropBouncer = drop(BOUNCER);
        double dropTenant = drop(TENANT);
        derivedRow("TPS drop of 10 active clients while the idle ones are held (%)", dropBouncer, dropTenant, Double.NaN,
                "%.1f", "≤ 10%", dropTenant <= 10, false);

        List<String> out = new ArrayList<>();
        out.add("# Benchmark: pgtenant, PgBouncer and PostgreSQL direct (" + mode.name() + " run)");
        out.add("");
        out.add("- Date: " + started + " (took " + Duration.between(started, finished).toMinutes() + " min)");
        out.add("- Machine: " + machine());
        out.add("- Software: " + software + ", "
                + firstLine("pgbench", "--version") + ", Java " + System.getProperty("java.version") + ", pgtenant "
                + (givenJar == null ? firstLine("git", "rev-parse", "--short", "HEAD")
                        : "from " + givenJar + " (the repository, which may differ, is at "
                                + firstLine("git", "rev-parse", "--short", "HEAD") + ")"));
        out.add("- Settings: transaction pooling, pool size " + Compare.POOL_SIZE + " for both proxies, SCRAM-SHA-256 for"
                + " clients everywhere, pgbench scale " + mode.scale() + ", " + mode.rounds() + " rounds of "
                + mode.run().toSeconds() + " s per run after a warm-up round of every scenario but the idle clients, not counted"
                + (results.measured(Compare.CONNECT_RATE, TENANT)
                        ? " (" + mode.run().multipliedBy(Compare.CONNECT_WARM_UP_RUNS).toSeconds() + " s of -C)" : "")
                + ";"
                + " medians over the rounds (over "
                + Compare.LARGE_TRANSFERS + " transfers a round for large results); the order of targets rotates each round.");
        out.add("- Command: `bench/compare.sh " + arguments + "`");
        out.add("- Targets: " + met + " met, " + missed + " not met.");
        out.add("- Netty relay: a bare byte-for-byte relay on Netty with pgtenant's event-loop setup, one PostgreSQL"
                + " connection per client, no parsing and no pooling (bench/src/main/java/dev/pgtenant/bench/NettyRelay.java):"
                + " the floor of what pgtenant, built on Netty, can cost. It has no target.");
        out.add("");
        out.addAll(lines);
        out.add("");
        if (!roundsHeld.isEmpty()) {
            out.add("## Rounds in which pgtenant met the target against the same round's PgBouncer");
            out.add("");
            out.addAll(roundsHeld);
            out.add("");
        }
        out.add("## Raw figures (every round)");
        out.add("");
        for (String metric : results.metrics()) {
            for (String target : results.targets(metric)) {
                out.add("- " + metric + ", " + target + ": " + results.rounds(metric, target));
            }
        }
        if (!results.failures().isEmpty()) {
            out.add("");
            out.add("## Failures");
            out.add("");
            results.failures().forEach((what, why) -> out.add("- " + what + ": " + why));
        }
        return String.join("\n", out) + "\n";
    }

    private interface Check {
        boolean met(double tenant, double bouncer);
    }

    private static Check ratioAtLeast(double factor) {
        return (tenant, bouncer) -> tenant >= factor * bouncer;
    }

    private double median(String metric, String target) {
        return results.median(metric, target);
    }

    private double drop(String target) {
        double alone = median(Compare.ACTIVE_ALONE, target);
        double beside = median(Compare.ACTIVE_BESIDE_IDLE, target);
        return (alone - beside) / alone * 100;
    }

    private void row(String metric, String format, String target, Check check) {
        if (!results.targets(metric).iterator().hasNext()) {
            return;
        }
        double direct = median(metric, DIRECT);
        double bouncer = median(metric, BOUNCER);
        double tenant = median(metric, TENANT);
        double floor = median(metric, FLOOR);
        String verdict = "";
        if (check != null) {
            if (Double.isNaN(tenant)) {
                verdict = "no (pgtenant failed)";
            } else if (Double.isNaN(bouncer) && hasRun(metric, BOUNCER)) {
                verdict = "yes (PgBouncer failed)";
            } else {
                verdict = check.met(tenant, bouncer) ? "yes" : "**no**";
            }
            count(verdict);
            if (target.contains("PgBouncer")) {
                countRoundsHeld(metric, metric, target, check);
            }
        }
        lines.add("| " + metric + " | " + figure(metric, DIRECT, direct, format) + " | " + figure(metric, BOUNCER, bouncer, format)
                + " | " + figure(metric, TENANT, tenant, format) + " | " + figure(metric, FLOOR, floor, format)
                + " | " + ratio(tenant, bouncer) + " | " + ratio(tenant, direct) + " | " + ratio(floor, bouncer)
                + " | " + (target == null ? "" : target) + " | " + verdict + " |");
    }

    /**
     * In how many rounds pgtenant's figure met the target against the same round's PgBouncer. A
     * median close to the line says little when this is near half the rounds.
     */
    private void countRoundsHeld(String label, String metric, String target, Check check) {
        List<Double> tenant = results.values(metric, TENANT);
        List<Double> bouncer = results.values(metric, BOUNCER);
        String line = "- " + label + " (" + target + "): ";
        if (tenant.isEmpty() || bouncer.isEmpty()) {
            return;
        }
        if (tenant.size() != bouncer.size()) {
            roundsHeld.add(line + "rounds not comparable (" + tenant.size() + " for pgtenant, " + bouncer.size()
                    + " for PgBouncer)");
            return;
        }
        int both = 0;
        int held = 0;
        for (int round = 0; round < tenant.size(); round++) {
            double ours = tenant.get(round);
            double theirs = bouncer.get(round);
            if (Double.isNaN(ours) || Double.isNaN(theirs)) {
                continue;
            }
            both++;
            if (check.met(ours, theirs)) {
                held++;
            }
        }
        int failed = tenant.size() - both;
        roundsHeld.add(line + (both == 0 ? "no round in which both ran"
                : held + " of " + both + (failed == 0 ? "" : " (and " + failed + " in which one failed)")));
    }

    private void directRow(String metric) {
        row(metric, "%.0f", "≥ 0.95 × direct", (tenant, bouncer) -> tenant >= 0.95 * median(metric, DIRECT));
    }

    /**
     * A row computed from other rows. {@code relative}: the target compares with PgBouncer, so a
     * PgBouncer that failed leaves pgtenant's figure unopposed.
     */
    private void derivedRow(String label, double bouncer, double tenant, double floor, String format, String target,
                            boolean ok, boolean relative) {
        if (Double.isNaN(tenant) && Double.isNaN(bouncer)) {
            return;
        }
        String verdict = Double.isNaN(tenant) ? "no (not measured)"
                : relative && Double.isNaN(bouncer) ? "yes (PgBouncer failed)" : ok ? "yes" : "**no**";
        count(verdict);
        lines.add("| " + label + " | – | " + format(bouncer, format) + " | " + format(tenant, format) + " | "
                + format(floor, format) + " | | | | " + target + " | " + verdict + " |");
    }

    private void count(String verdict) {
        if (verdict.startsWith("yes")) {
            met++;
        } else {
            missed++;
        }
    }

    private boolean hasRun(String metric, String target) {
        return results.measured(metric, target);
    }

    private String figure(String metric, String target, double value, String format) {
        if (!Double.isNaN(value)) {
            return format(value, format);
        }
        return hasRun(metric, target) ? "failed" : "–";
    }

    private static String format(double value, String format) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, format, value);
    }

    private static String ratio(double tenant, double other) {
        return Double.isNaN(tenant) || Double.isNaN(other) || other == 0 ? "–" : String.format(Locale.ROOT, "%.2f", tenant / other);
    }

    private static String machine() {
        String model = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    model = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
            String memory = Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("[^0-9]", "");
            return Runtime.getRuntime().availableProcessors() + " cores (" + model + "), "
                    + Long.parseLong(memory) / 1024 / 1024 + " GiB, Linux " + Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip()
                    + "; PostgreSQL, pgbench, the proxy and this harness share the cores";
        } catch (IOException | RuntimeException e) {
            return model;
        }
    }

    static String firstLine(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(10, TimeUnit.SECONDS);
            return output.lines().findFirst().orElse("?").strip();
        } catch (IOException e) {
            return command[0] + " not found";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
