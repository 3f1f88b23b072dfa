package dev.pgtenant.proxy.server;

import io.netty.util.ResourceLeakDetector;
import java.util.Optional;

/**
 * Netty's detection of buffers never released. Netty samples one allocation in 128 by default and
 * records a stack trace for each: about 2% of the proxy's CPU under load (perf, pgbench -S at 50
 * clients). The tests run every allocation through it (paranoid), so a release missed by the code is
 * found there; in production it is off unless {@code -Dio.netty.leakDetection.level} asks for it.
 */
public final class LeakDetection {

    static final String PROPERTY = "io.netty.leakDetection.level";
    /** The name Netty still reads for it, from before 4.0.2x. */
    static final String LEGACY_PROPERTY = "io.netty.leakDetectionLevel";

    private LeakDetection() {
    }

    /** Sets the level for this process. Call before the first buffer is allocated. */
    public static void configure() {
        override(System.getProperty(PROPERTY), System.getProperty(LEGACY_PROPERTY))
                .ifPresent(ResourceLeakDetector::setLevel);
    }

    /** The level to set in place of Netty's: none when a level was asked for, which Netty reads itself. */
    static Optional<ResourceLeakDetector.Level> override(String asked, String askedByLegacyName) {
        return asked == null && askedByLegacyName == null ? Optional.of(ResourceLeakDetector.Level.DISABLED) : Optional.empty();
    }
}
