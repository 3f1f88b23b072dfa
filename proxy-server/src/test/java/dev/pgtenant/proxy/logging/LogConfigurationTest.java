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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The logging configuration pgtenant ships (src/main/resources/logback.xml), loaded on its own. */
class LogConfigurationTest {

    /** Standard error that takes nothing until opened, like a paused terminal. */
    private static final class StalledStream extends OutputStream {
        private final CountDownLatch opened = new CountDownLatch(1);
        private final ByteArrayOutputStream written = new ByteArrayOutputStream();

        void open() {
            opened.countDown();
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            awaitOpen();
            synchronized (written) {
                written.write(bytes, offset, length);
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

        List<String> lines() {
            synchronized (written) {
                return written.toString(StandardCharsets.UTF_8).lines().toList();
            }
        }
    }

    /**
     * Sessions end on the event loops, which log it: a standard error that does not drain must not
     * stop them. Lines wait in a queue and, only once it is full, are dropped, whatever their level,
     * with a warning that counts them; stopping the logging (as pgtenant does at exit) writes out
     * what waits.
     */
    @Test
    void aStalledStandardErrorDoesNotHoldUpTheThreadThatLogs() throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogFlush.class.getResource("/logback.xml"));
        BackgroundAppender background = (BackgroundAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("background");
        @SuppressWarnings("unchecked")
        OutputStreamAppender<ILoggingEvent> stderr = (OutputStreamAppender<ILoggingEvent>) background.getAppender("stderr");
        StalledStream stalled = new StalledStream();
        stderr.setOutputStream(stalled);
        Logger sessions = context.getLogger("dev.pgtenant.proxy.session.ClientSession");
        AtomicReference<String> loggingThread = new AtomicReference<>();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                loggingThread.set(Thread.currentThread().getName());
                for (int i = 0; i < 10_000; i++) {
                    sessions.info("session {} ended: the client closed the connection", i);
                }
            });
        } finally {
            stalled.open();
            context.stop();
        }
        List<String> lines = stalled.lines();
        List<String> sessionLines = lines.subList(0, lines.size() - 1);
        // 8192 wait in the queue, and the writer may hold one more, blocked in its write; the rest were dropped.
        assertThat(sessionLines).hasSizeBetween(8192, 8193);
        assertThat(sessionLines).allMatch(line -> line.contains("[" + loggingThread.get() + "] INFO ClientSession - "));
        List<String> expected = IntStream.range(0, sessionLines.size())
                .mapToObj(i -> "session " + i + " ended: the client closed the connection").toList();
        assertThat(sessionLines.stream().map(line -> line.substring(line.indexOf(" - ") + 3)).toList()).isEqualTo(expected);
        assertThat(lines.get(lines.size() - 1)).contains("[pgtenant-log-writer] WARN BackgroundAppender - "
                + (10_000 - sessionLines.size()) + " log line(s) were dropped: more than 8192 were waiting");
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
