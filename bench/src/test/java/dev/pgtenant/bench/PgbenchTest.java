package dev.pgtenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgbenchTest {

    @Test
    void readsTheSummaryOfARun() {
        Pgbench.Run run = Pgbench.parse("""
                number of transactions actually processed: 23530
                number of failed transactions: 2 (0.008%)
                latency average = 14.079 ms
                initial connection time = 912.361 ms
                tps = 10653.976677 (without initial connection time)
                """, true, new long[0]);
        assertThat(run.transactions()).isEqualTo(23530);
        assertThat(run.failed()).isEqualTo(2);
        assertThat(run.tps()).isEqualTo(10653.976677);
        assertThat(run.latencyAverageMillis()).isEqualTo(14.079);
        assertThat(run.clean()).isFalse();
    }

    @Test
    void readsTheRateOfARunWithANewConnectionPerTransaction() {
        assertThat(Pgbench.parse("tps = 126.739390 (including reconnection times)\n", true, new long[0]).tps())
                .isEqualTo(126.739390);
    }

    @Test
    void readsLatenciesFromEveryThreadsLogSkippingFailures(@TempDir Path directory) throws Exception {
        Files.writeString(directory.resolve("txn.123"), "0 0 250 0 1700000000 1\n0 1 150 0 1700000000 2\n");
        Files.writeString(directory.resolve("txn.123.1"), "1 0 failed 0 1700000000 3\n1 1 100 0 1700000000 4\n");
        long[] latencies = Pgbench.readLatencies(directory);
        assertThat(latencies).containsExactly(100, 150, 250);
        Pgbench.Run run = Pgbench.parse("", true, latencies);
        assertThat(run.percentileMicros(0.5)).isEqualTo(150);
        assertThat(run.percentileMicros(0.99)).isEqualTo(250);
    }
}
