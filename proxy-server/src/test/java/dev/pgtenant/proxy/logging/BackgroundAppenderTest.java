package dev.pgtenant.proxy.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import dev.pgtenant.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The background writer on its own, with settings the shipped configuration leaves at their defaults. */
class BackgroundAppenderTest {

    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    /** Standard error as a test sees it: the lines written so far. */
    private static final class Written extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int offset, int length) {
            bytes.write(b, offset, length);
        }

        synchronized List<String> lines() {
            return bytes.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    /** A context whose logger "sessions" writes to {@code stderr} through a background writer. */
    private record Logging(LoggerContext context, BackgroundAppender background, Logger logger, Written stderr) {

        /**
         * A writer with a queue of 8 that looks once a minute, which has written "line 0" and now
         * waits for its next look.
         */
        static Logging waitingForItsNextLook() {
            LoggerContext context = new LoggerContext();
            context.setMDCAdapter(new LogbackMDCAdapter());
            Written stderr = new Written();
            BackgroundAppender background = writerTo(context, stderr, 8, 60_000);
            Logger logger = context.getLogger("sessions");
            logger.addAppender(background);
            logger.setAdditive(false);
            logger.info("line 0");
            Await.until(() -> stderr.lines().size() == 1 && background.writer().getState() == Thread.State.TIMED_WAITING,
                    TEN_SECONDS, () -> "the writer wrote the first line and waits for its next look");
            return new Logging(context, background, logger, stderr);
        }
    }

    /**
     * While lines keep coming the writer looks for them only now and then (every 100 ms as shipped,
     * a minute here); a burst that fills half the queue wakes it at once, before the queue can fill.
     */
    @Test
    void aBurstThatFillsHalfTheQueueWakesTheWriterBeforeItsNextLook() {
        Logging logging = Logging.waitingForItsNextLook();
        try {
            for (int line = 1; line <= 4; line++) {
                logging.logger().info("line " + line);
            }
            Await.until(() -> logging.stderr().lines().size() == 5, TEN_SECONDS,
                    () -> "the fourth line waiting, half the queue, woke the writer; written: " + logging.stderr().lines());
            assertThat(logging.stderr().lines()).containsExactly("line 0", "line 1", "line 2", "line 3", "line 4");
        } finally {
            logging.context().stop();
        }
    }

    /**
     * Before the command line prints its error straight to standard error, the lines logged before
     * it are written out: the writer is woken for them rather than left to its next look.
     */
    @Test
    void awaitingTheLinesLoggedSoFarWakesTheWriterForThem() {
        Logging logging = Logging.waitingForItsNextLook();
        try {
            logging.logger().info("line 1");
            logging.logger().info("line 2");
            assertThat(logging.background().awaitWritten()).as("written within maxFlushTime, 2 s").isTrue();
            assertThat(logging.stderr().lines()).containsExactly("line 0", "line 1", "line 2");
        } finally {
            logging.context().stop();
        }
    }

    private static BackgroundAppender writerTo(LoggerContext context, OutputStream stream, int queueSize, int pollMillis) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        OutputStreamAppender<ILoggingEvent> out = new OutputStreamAppender<>();
        out.setContext(context);
        out.setName("stderr");
        out.setEncoder(encoder);
        out.setOutputStream(stream);
        out.start();
        BackgroundAppender background = new BackgroundAppender();
        background.setContext(context);
        background.setName("background");
        background.setQueueSize(queueSize);
        background.setPollMillis(pollMillis);
        background.addAppender(out);
        background.start();
        assertThat(background.isStarted()).isTrue();
        return background;
    }
}
