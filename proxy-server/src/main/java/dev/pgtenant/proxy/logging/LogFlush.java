package dev.pgtenant.proxy.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/** Writes out the log lines still queued for the background writer (see logback.xml). */
public final class LogFlush {

    private LogFlush() {
    }

    /**
     * Has the background writer write out the lines this thread logged, before something is printed
     * straight to standard error; waits at most its maxFlushTime. Logging goes on.
     */
    public static void writeOutLoggedLines() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            for (Iterator<Appender<ILoggingEvent>> it = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
                    it.hasNext(); ) {
                if (it.next() instanceof BackgroundAppender background && background.isStarted()) {
                    background.awaitWritten();
                }
            }
        }
    }

    /**
     * Before the JVM exits, whose daemon writer would otherwise be stopped with the lines. Lines
     * logged after this are dropped, so it comes last; what other shutdown hooks log at the same time
     * (the embedded PostgreSQL library's own) may be lost.
     */
    public static void atExit() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.stop();
        }
    }
}
