package dev.pgtenant.proxy.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.status.Status;
import dev.pgtenant.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The logging configuration pgtenant ships (src/main/resources/logback.xml), loaded on its own. */
class LogConfigurationTest {

    private static final String LOGGING_THREAD = "a-session-thread";
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    /** Standard error that takes nothing until opened, like a paused terminal. */
    private static final class StalledStream extends OutputStream {
        private final CountDownLatch opened = new CountDownLatch(1);
        private final CountDownLatch firstWrite = new CountDownLatch(1);
        private final ByteArrayOutputStream written = new ByteArrayOutputStream();
        private int writes;

        void open() {
            opened.countDown();
        }

        void awaitFirstWrite() throws InterruptedException {
            assertThat(firstWrite.await(10, TimeUnit.SECONDS)).as("the writer tried to write").isTrue();
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            firstWrite.countDown();
            awaitOpen();
            synchronized (written) {
                written.write(bytes, offset, length);
                writes++;
            }
        }

        /** Heedless of interrupts, like a write to a pipe nobody reads: stopping logging interrupts its writer. */
        private void awaitOpen() throws IOException {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        if (!opened.await(30, TimeUnit.SECONDS)) {
                            throw new IOException("standard error was never drained");
                        }
                        return;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        int writes() {
            synchronized (written) {
                return writes;
            }
        }

        List<String> lines() {
            synchronized (written) {
                return written.toString(StandardCharsets.UTF_8).lines().toList();
            }
        }
    }

    /** The shipped configuration in a context of its own, its standard error replaced by {@code stderr}. */
    private static LoggerContext shippedConfigurationWritingTo(OutputStream stderr) throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogFlush.class.getResource("/logback.xml"));
        BackgroundAppender background = (BackgroundAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("background");
        @SuppressWarnings("unchecked")
        OutputStreamAppender<ILoggingEvent> console = (OutputStreamAppender<ILoggingEvent>) background.getAppender("stderr");
        console.setOutputStream(stderr);
        return context;
    }

    /** Each line's message, after the timestamp, thread, level and logger. */
    private static List<String> messages(List<String> lines) {
        return lines.stream().map(line -> line.substring(line.indexOf(" - ") + 3)).toList();
    }

    private static String sessionEnded(int session) {
        return "session " + session + " ended: the client closed the connection";
    }

    /** Logs sessions' ends from a thread of its own, as an event loop does, the first alone until the writer has it. */
    private static void logSessionsEnding(Logger sessions, StalledStream stderr, int count) throws InterruptedException {
        List<Throwable> failures = new ArrayList<>();
        Thread loop = new Thread(() -> {
            try {
                sessions.info(sessionEnded(0));
                stderr.awaitFirstWrite();
                for (int i = 1; i < count; i++) {
                    sessions.info(sessionEnded(i));
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        }, LOGGING_THREAD);
        loop.setDaemon(true);
        loop.start();
        loop.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(loop.isAlive()).as("the logging thread is held up by a standard error that does not drain").isFalse();
        assertThat(failures).isEmpty();
    }

    /**
     * Sessions end on the event loops, which log it: a standard error that does not drain must not
     * stop them. Lines wait in a queue and, only once it is full, are dropped, whatever their level,
     * with a warning that counts them; stopping the logging (as pgtenant does at exit) writes out
     * what waits.
     */
    @Test
    void aStalledStandardErrorDoesNotHoldUpTheThreadThatLogs() throws Exception {
        StalledStream stderr = new StalledStream();
        LoggerContext context = shippedConfigurationWritingTo(stderr);
        try {
            logSessionsEnding(context.getLogger("dev.pgtenant.proxy.session.ClientSession"), stderr, 10_000);
        } finally {
            stderr.open();
            context.stop();
        }
        List<String> lines = stderr.lines();
        // The first session's line, held by the writer while 8192 waited and 1807 were dropped.
        assertThat(lines).hasSize(1 + 1 + 8192);
        assertThat(lines.get(1)).contains("[pgtenant-log-writer] WARN BackgroundAppender - 1807 log line(s) were dropped: "
                + "8192 were already waiting");
        List<String> sessionLines = new ArrayList<>(lines);
        sessionLines.remove(1);
        assertThat(sessionLines).allMatch(line -> line.contains("[" + LOGGING_THREAD + "] INFO ClientSession - "));
        assertThat(messages(sessionLines))
                .isEqualTo(IntStream.rangeClosed(0, 8192).mapToObj(LogConfigurationTest::sessionEnded).toList());
    }

    /** Stopping gives the writer up to maxFlushTime (2 s), then lets the JVM exit without the lines. */
    @Test
    void stoppingDoesNotWaitLongForAStalledStandardError() throws Exception {
        StalledStream stderr = new StalledStream();
        LoggerContext context = shippedConfigurationWritingTo(stderr);
        try {
            logSessionsEnding(context.getLogger("dev.pgtenant.proxy.session.ClientSession"), stderr, 100);
            long start = System.nanoTime();
            assertTimeoutPreemptively(Duration.ofSeconds(10), context::stop);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(1900));
        } finally {
            stderr.open();
        }
    }

    /**
     * A writer with nothing to write sleeps until a line wakes it (waiting without a timeout) rather
     * than looking every 100 ms, which would take a time slice from the relay 10 times a second; it
     * goes back to that sleep after each line, and stopping wakes it to end.
     */
    @Test
    void anIdleWriterSleepsUntilALineWakesIt() throws Exception {
        StalledStream stderr = new StalledStream();
        stderr.open();
        LoggerContext context = shippedConfigurationWritingTo(stderr);
        try {
            Thread writer = ((BackgroundAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("background")).writer();
            Logger sessions = context.getLogger("dev.pgtenant.proxy.session.ClientSession");
            for (int session = 0; session < 3; session++) {
                Await.until(() -> writer.getState() == Thread.State.WAITING, TEN_SECONDS, () -> "the idle writer sleeps until woken");
                sessions.info(sessionEnded(session));
                int written = session + 1;
                Await.until(() -> stderr.lines().size() == written, TEN_SECONDS, () -> "the line that woke the writer is written");
            }
            assertThat(stderr.lines()).allMatch(line -> line.contains("INFO ClientSession - session "));
            Await.until(() -> writer.getState() == Thread.State.WAITING, TEN_SECONDS, () -> "the idle writer sleeps until woken");
            context.stop();
            assertThat(writer.isAlive()).as("the sleeping writer has ended when stopping returns").isFalse();
        } finally {
            context.stop();
        }
    }

    /**
     * The lines that wait for the writer go to standard error in one write, not one each: a storm of
     * logins, each ending with a line, would otherwise make a system call per login for its line.
     */
    @Test
    void theLinesOfABatchGoOutInOneWrite() throws Exception {
        StalledStream stderr = new StalledStream();
        LoggerContext context = shippedConfigurationWritingTo(stderr);
        try {
            // The first line alone, then fifty that wait while its write is held up.
            logSessionsEnding(context.getLogger("dev.pgtenant.proxy.session.ClientSession"), stderr, 51);
            stderr.open();
            Await.until(() -> stderr.lines().size() == 51, TEN_SECONDS, () -> "all 51 lines are written");
            assertThat(stderr.writes()).as("one write for the first line, one for the fifty after it").isEqualTo(2);
        } finally {
            stderr.open();
            context.stop();
        }
        assertThat(messages(stderr.lines()))
                .isEqualTo(IntStream.range(0, 51).mapToObj(LogConfigurationTest::sessionEnded).toList());
    }

    /** A standard error that fails stops the appender with an error status, as a failed write in Logback does. */
    @Test
    void aStandardErrorThatFailsStopsItsAppender() throws Exception {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("standard error is closed");
            }
        };
        LoggerContext context = shippedConfigurationWritingTo(broken);
        try {
            BackgroundAppender background = (BackgroundAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("background");
            @SuppressWarnings("unchecked")
            BatchedConsoleAppender<ILoggingEvent> console = (BatchedConsoleAppender<ILoggingEvent>) background.getAppender("stderr");
            context.getLogger("dev.pgtenant.proxy.session.ClientSession").info(sessionEnded(0));
            Await.until(() -> !console.isStarted(), TEN_SECONDS, () -> "the appender stops at the failed write");
            assertThat(context.getStatusManager().getCopyOfStatusList()).extracting(Status::getMessage)
                    .contains("IO failure in appender");
        } finally {
            context.stop();
        }
    }

    /**
     * A session's line quotes the user name a client sent before it logged in: line breaks, other
     * control characters and Unicode's separators in it are escaped, so it cannot forge a line of
     * its own.
     */
    @Test
    void whatAClientSentCannotStartALogLineOfItsOwn() throws Exception {
        StalledStream stderr = new StalledStream();
        stderr.open();
        LoggerContext context = shippedConfigurationWritingTo(stderr);
        try {
            String user = "eve\r\n2026-11-29T10:00:00.000+0000 [pgtenant-io-1-1] INFO ProxyServer - forged\u2028\u0085\0\tzoe\\n";
            context.getLogger("dev.pgtenant.proxy.session.ClientSession").info("session of user {} ended: bad password", user);
            Await.until(() -> !stderr.lines().isEmpty(), TEN_SECONDS, () -> "the line is written");
        } finally {
            context.stop();
        }
        assertThat(stderr.lines()).hasSize(1);
        assertThat(stderr.lines().get(0)).endsWith("INFO ClientSession - session of user eve\\r\\n2026-11-29T10:00:00.000+0000"
                + " [pgtenant-io-1-1] INFO ProxyServer - forged\\u2028\\x85\\x00\\tzoe\\n ended: bad password");
    }

    /** A configuration mistake shows in Logback's status messages, printed at start, and nothing runs. */
    @Test
    void aBackgroundAppenderWithNothingToWriteToDoesNotStart() {
        LoggerContext context = new LoggerContext();
        BackgroundAppender background = new BackgroundAppender();
        background.setContext(context);
        background.setName("background");
        background.start();
        assertThat(background.isStarted()).isFalse();
        assertThat(context.getStatusManager().getCopyOfStatusList()).extracting(Status::getMessage)
                .contains("no appender to write to: add an <appender-ref> to background");
    }
}
