package dev.pgtenant.proxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector.Level;
import org.junit.jupiter.api.Test;

class LeakDetectionTest {

    @Test
    void offUnlessAskedFor() {
        assertThat(LeakDetection.override(null, null)).contains(Level.DISABLED);
    }

    @Test
    void aLevelAskedForByEitherNameIsLeftToNetty() {
        assertThat(LeakDetection.override("simple", null)).isEmpty();
        assertThat(LeakDetection.override("PARANOID", null)).isEmpty();
        assertThat(LeakDetection.override(null, "advanced")).isEmpty();
    }
}
