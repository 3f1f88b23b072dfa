package dev.pgtenant.proxy.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
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
     * stop them. Lines wait in a queue and, only once it is full, are dropped, whatever their level;
     * stopping the logging (as pgtenant does at exit) writes out what waits.
     */
    @Test
    void aStalledStandardErrorDoesNotHoldUpTheThreadThatLogs() throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(LogFlush.class.getResource("/logback.xml"));
        AsyncAppender async = (AsyncAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("async");
        @SuppressWarnings("unchecked")
        OutputStreamAppender<ILoggingEvent> stderr = (OutputStreamAppender<ILoggingEvent>) async.getAppender("stderr");
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
        // 8192 wait in the queue, besides those the writer took before it blocked; the rest were dropped.
        assertThat(lines).hasSizeBetween(8192, 10_000);
        assertThat(lines).allMatch(line -> line.contains("[" + loggingThread.get() + "] INFO ClientSession - "));
        List<String> expected = IntStream.range(0, lines.size())
                .mapToObj(i -> "session " + i + " ended: the client closed the connection").toList();
        assertThat(lines.stream().map(line -> line.substring(line.indexOf(" - ") + 3)).toList()).isEqualTo(expected);
    }
}
