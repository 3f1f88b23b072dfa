package dev.pgtenant.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessStatsTest {

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
    void readsTheCommittedHeapOfHeapInfo() {
        assertThat(ProcessStats.heapInfoTotalBytes("""
                17605:
                 garbage-first heap   total 81920K, used 22747K [0x0000000687400000, 0x0000000800000000)
                  region size 4096K, 2 young (8192K), 0 survivors (0K)
                """)).isEqualTo(81920L * 1024);
    }

    @Test
    void theCommittedHeapOfARunningJvmHoldsItsLiveObjects() throws Exception {
        long pid = ProcessHandle.current().pid();
        assertThat(ProcessStats.committedHeapBytes(pid)).isGreaterThanOrEqualTo(ProcessStats.liveHeapBytes(pid));
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
