package dev.pgtenant.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector.Level;
import org.junit.jupiter.api.Test;

class LeakDetectionTest {

    @Test
    void offUnlessAskedFor() {
        assertThat(LeakDetection.override(null)).contains(Level.DISABLED);
    }

    @Test
    void aLevelAskedForIsLeftToNetty() {
        assertThat(LeakDetection.override("simple")).isEmpty();
        assertThat(LeakDetection.override("paranoid")).isEmpty();
    }

    @Test
    void theTestsThemselvesRunParanoid() {
        LeakDetection.configure();
        assertThat(io.netty.util.ResourceLeakDetector.getLevel()).isEqualTo(Level.PARANOID);
    }
}
