package dev.pgtenant.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessStatsTest {

    @Test
    void readsTheMachinesIdleTimeFromProcStat() {
        long[] before = ProcessStats.machineTicks("""
                cpu  1000 10 500 8000 100 5 5 30 0 0
                cpu0 500 5 250 4000 50 2 3 15 0 0
                intr 123
                """);
        long[] after = ProcessStats.machineTicks("cpu  1800 10 600 8080 120 5 5 30 0 0\n");
        assertThat(before).containsExactly(9650, 8100);
        assertThat(ProcessStats.idlePercent(before, after)).isEqualTo(10.0);
        assertThat(ProcessStats.idlePercent(after, after)).as("no time passed").isZero();
        assertThatThrownBy(() -> ProcessStats.machineTicks("intr 123\n")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readsTheTotalOfAClassHistogram() {
        assertThat(ProcessStats.histogramTotalBytes("""
                12345:
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:         10466        1069584  [B (java.base@17.0.15)
                   2:          9970         239280  java.lang.String (java.base@17.0.15)
                Total         20436        1308864
                """)).isEqualTo(1308864);
        assertThatThrownBy(() -> ProcessStats.histogramTotalBytes("12345:\ncom.sun.tools.attach.AttachNotSupportedException"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void readsTheHeapRangeOfHeapInfo() {
        assertThat(ProcessStats.heapRange("""
                17605:
                 garbage-first heap   total 81920K, used 22747K [0x0000000687400000, 0x0000000800000000)
                  region size 4096K, 2 young (8192K), 0 survivors (0K)
                """)).containsExactly(0x687400000L, 0x800000000L);
        assertThat(ProcessStats.heapRange("""
                 def new generation   total 4928K, used 1309K [0x00000000e0a00000, 0x00000000e0f50000, 0x00000000eb4a0000)
                 tenured generation   total 10944K, used 0K [0x00000000eb4a0000, 0x00000000ebf50000, 0x0000000100000000)
                """)).as("the serial collector's generations").containsExactly(0xe0a00000L, 0x100000000L);
        assertThatThrownBy(() -> ProcessStats.heapRange("12345:\nno heap here")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void countsTheResidentPagesOfMappingsOutsideTheHeap() {
        String smaps = """
                00400000-00401000 r-xp 00000000 08:01 123 /usr/bin/java
                Size:                  4 kB
                Rss:                   4 kB
                687400000-687800000 rw-p 00000000 00:00 0
                Size:               4096 kB
                Rss:                1024 kB
                7f0000000000-7f0000100000 rw-p 00000000 00:00 0
                Rss:                  16 kB
                """;
        assertThat(ProcessStats.residentOutside(smaps, 0x687400000L, 0x800000000L)).isEqualTo(20 * 1024);
    }

    @Test
    void aRunningJvmHasResidentMemoryBesideItsHeap() throws Exception {
        long pid = ProcessHandle.current().pid();
        assertThat(ProcessStats.residentOutsideHeapBytes(pid)).isPositive().isLessThan(ProcessStats.residentBytes(pid));
    }

    @Test
    void liveHeapGrowsByWhatIsHeldAndNotByGarbage() throws Exception {
        long pid = ProcessHandle.current().pid();
        long before = ProcessStats.liveHeapBytes(pid);
        for (int i = 0; i < 64; i++) {
            garbage = new byte[1024 * 1024];
        }
        garbage = null;
        byte[][] held = new byte[32][];
        for (int i = 0; i < held.length; i++) {
            held[i] = new byte[1024 * 1024];
        }
        long after = ProcessStats.liveHeapBytes(pid);
        assertThat(after - before).isBetween(31L * 1024 * 1024, 40L * 1024 * 1024);
        java.lang.ref.Reference.reachabilityFence(held);
    }

    private static volatile byte[] garbage;
}
