package dev.pgtenant.proxy.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One {@code pgtenant} command run in this JVM, as an operator would type it, with standard input
 * given and standard output and error captured. Runs are serialized: the standard streams are global.
 */
record CliRun(int exitCode, String out, String err) {

    /**
     * Test methods run one after the other, so a run waits for another only when a test that timed
     * out left its thread inside a run (see docs/testing.md): then each later test that runs a
     * command fails after this wait, instead of at its own 3 minutes, which over the twenty-odd CLI
     * test methods would hold the build for more than an hour.
     */
    static final Duration MAX_WAIT = Duration.ofSeconds(20);
    /** Held by the run under way. */
    static final ReentrantLock RUNNING = new ReentrantLock();

    static CliRun run(String stdin, String... args) {
        return run(MAX_WAIT, stdin, args);
    }

    static CliRun run(Duration maxWait, String stdin, String... args) {
        try {
            if (!RUNNING.tryLock(maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("another pgtenant command run has not returned after " + maxWait.toMillis()
                        + " ms; a test that timed out left it running (its failure comes first in the report)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for another pgtenant command run", e);
        }
        try {
            return runAlone(stdin, args);
        } finally {
            RUNNING.unlock();
        }
    }

    private static CliRun runAlone(String stdin, String... args) {
        InputStream originalIn = System.in;
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = PgTenant.run(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setIn(originalIn);
            System.setOut(originalOut);
            System.setErr(originalErr);
        }
    }
}
