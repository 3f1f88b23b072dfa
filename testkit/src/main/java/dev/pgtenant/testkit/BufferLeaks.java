package dev.pgtenant.testkit;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Netty's leak detector at paranoid level, with its reports collected so a test can fail on them
 * instead of only logging. Detection is by garbage collection, so it is a safety net; exact checks
 * use {@link TrackingAllocator}.
 */
public final class BufferLeaks {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ByteBufUtil.setLeakListener((type, records) -> LEAKS.add(type + " leaked:" + records));
    }

    private BufferLeaks() {
    }

    /** Turns detection on; call before the test allocates buffers. */
    public static void watch() {
        // The static initialiser does the work; this call only makes sure it has run.
    }

    /**
     * Collects garbage a few times and allocates, which makes the detector report what it found,
     * then fails if anything leaked since the last call.
     */
    public static void assertNoLeaks() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 64; i++) {
                ByteBufAllocator.DEFAULT.heapBuffer(8).release();
                ByteBufAllocator.DEFAULT.directBuffer(8).release();
            }
        }
        if (!LEAKS.isEmpty()) {
            String report = String.join("\n", LEAKS);
            LEAKS.clear();
            throw new AssertionError("buffers leaked:\n" + report);
        }
    }
}
