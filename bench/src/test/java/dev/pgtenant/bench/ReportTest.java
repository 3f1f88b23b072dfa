package dev.pgtenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ReportTest {

    private static String report(Results results) {
        return new Report(results, Compare.Mode.SHORT, Instant.EPOCH, Instant.EPOCH, "17.6", "--mode short", null).markdown();
    }

    /** A jar given with --pgtenant-jar may be another commit's: the report names the jar, not the repository's commit as its. */
    @Test
    void namesAGivenJarRatherThanTheRepositorysCommit() {
        String markdown = new Report(new Results(), Compare.Mode.SHORT, Instant.EPOCH, Instant.EPOCH, "17.6",
                "--pgtenant-jar /tmp/other.jar", Path.of("/tmp/other.jar")).markdown();
        assertThat(markdown).contains(", pgtenant from /tmp/other.jar (the repository, which may differ, is at ");
    }

    @Test
    void marksTargetsFromTheMediansAndTellsFailuresFromMisses() {
        Results results = new Results();
        String simple = Compare.tpsMetric(10, "simple");
        String prepared = Compare.tpsMetric(10, "prepared");
        for (double tps : new double[] {1000, 1100, 900}) {
            results.add(simple, Target.DIRECT, tps * 2);
            results.add(simple, Target.PGBOUNCER, tps);
            results.add(simple, Target.PGTENANT, tps * 1.2);
        }
        results.add(prepared, Target.DIRECT, 3000);
        results.fail(prepared, Target.PGBOUNCER, "prepared statement \"P_0\" already exists");
        results.add(prepared, Target.PGTENANT, 1500);

        String markdown = report(results);
        assertThat(markdown).contains("| " + simple + " | 2000 | 1000 | 1200 | – | 1.20 | 0.60 | – | ≥ 1.1 × PgBouncer | yes |");
        assertThat(markdown).contains("| " + prepared + " | 3000 | failed | 1500 | – | – | 0.50 | – | ≥ 1.1 × PgBouncer | yes (PgBouncer failed) |");
        assertThat(markdown).contains("Targets: 2 met, 0 not met.");
        assertThat(markdown).as("each round against the same round's PgBouncer: 1.2 × each time")
                .contains("- " + simple + " (≥ 1.1 × PgBouncer): 3 of 3")
                .contains("- " + prepared + " (≥ 1.1 × PgBouncer): no round in which both ran");
        assertThat(markdown).as("scenarios not run have no row").doesNotContain(Compare.CONNECT_RATE);
        assertThat(markdown).as("nor a word on their warm-up").doesNotContain("of -C)");
        assertThat(markdown).contains("## Failures", "already exists");
    }

    @Test
    void saysHowLongTheWarmUpRanConnectionsWhenItDid() {
        Results results = new Results();
        results.add(Compare.CONNECT_RATE, Target.PGBOUNCER, 400);
        results.add(Compare.CONNECT_RATE, Target.PGTENANT, 410);
        assertThat(report(results)).contains("not counted (32 s of -C);");
    }

    @Test
    void aConnectionsCostAndTheIdleMachineAreShownWithoutATarget() {
        Results results = new Results();
        results.add(Compare.CONNECT_RATE, Target.PGBOUNCER, 400);
        results.add(Compare.CONNECT_RATE, Target.PGTENANT, 380);
        results.add(Compare.CONNECT_CPU, Target.PGBOUNCER, 200);
        results.add(Compare.CONNECT_CPU, Target.PGTENANT, 250);
        results.add(Compare.CONNECT_IDLE, Target.PGBOUNCER, 5.0);
        results.add(Compare.CONNECT_IDLE, Target.PGTENANT, 6.5);
        String markdown = report(results);
        assertThat(markdown).contains("| " + Compare.CONNECT_CPU + " | – | 200 | 250 | – | 1.25 | – | – |  |  |")
                .contains("| " + Compare.CONNECT_IDLE + " | – | 5.0 | 6.5 | – | 1.30 | – | – |  |  |")
                .contains("Targets: 0 met, 1 not met.");
    }

    @Test
    void aSlowerPgtenantIsAMiss() {
        Results results = new Results();
        String metric = Compare.cpuMetric(50, "extended");
        results.add(metric, Target.PGBOUNCER, 30);
        results.add(metric, Target.PGTENANT, 45);
        assertThat(report(results)).contains("| " + metric + " | – | 30.0 | 45.0 | – | 1.50 | – | – | ≤ PgBouncer's | **no** |")
                .contains("Targets: 0 met, 1 not met.");
    }

    @Test
    void countsTheRoundsInWhichTheTargetHeldRoundByRound() {
        Results results = new Results();
        String metric = Compare.cpuMetric(50, "extended");
        double[] bouncer = {32, 40, 30, 35};
        double[] tenant = {30, 45, 28, 36};
        for (int round = 0; round < bouncer.length; round++) {
            results.add(metric, Target.PGBOUNCER, bouncer[round]);
            results.add(metric, Target.PGTENANT, tenant[round]);
        }
        results.fail(metric, Target.PGBOUNCER, "pgbench: connection refused");
        results.add(metric, Target.PGTENANT, 20);
        assertThat(report(results)).as("below PgBouncer in rounds 1 and 3 of the four both ran")
                .contains("- " + metric + " (≤ PgBouncer's): 2 of 4 (and 1 in which one failed)");
        String latency = Compare.latencyMetric();
        for (double[] round : new double[][] {{100, 160, 150}, {100, 140, 150}}) {
            results.add(latency, Target.DIRECT, round[0]);
            results.add(latency, Target.PGBOUNCER, round[1]);
            results.add(latency, Target.PGTENANT, round[2]);
        }
        assertThat(report(results)).as("the latency added is counted too")
                .contains("- select-only c=1: p50 latency added over direct (µs) (≤ PgBouncer's): 1 of 2");
    }

    @Test
    void theNettyRelayIsShownBesideTheProxiesAndJudgedByNoTarget() {
        Results results = new Results();
        String cpu = Compare.cpuMetric(10, "simple");
        results.add(cpu, Target.PGBOUNCER, 30);
        results.add(cpu, Target.PGTENANT, 45);
        results.add(cpu, Target.NETTY_RELAY, 33);
        String latency = Compare.latencyMetric();
        results.add(latency, Target.DIRECT, 100);
        results.add(latency, Target.PGBOUNCER, 160);
        results.add(latency, Target.PGTENANT, 150);
        results.add(latency, Target.NETTY_RELAY, 130);
        assertThat(report(results))
                .contains("| " + cpu + " | – | 30.0 | 45.0 | 33.0 | 1.50 | – | 1.10 | ≤ PgBouncer's | **no** |")
                .contains("| select-only c=1: p50 latency added over direct (µs) | – | 60 | 50 | 30 | | | | ≤ PgBouncer's | yes |")
                .contains("Targets: 1 met, 1 not met.");
    }
}
