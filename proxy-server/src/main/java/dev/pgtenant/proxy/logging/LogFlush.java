package dev.pgtenant.proxy.logging;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * Writes out the log lines still queued for the background writer (see logback.xml) before the JVM
 * exits, whose daemon writer would otherwise be stopped with them. Lines logged after this are
 * dropped, so it comes last; what other shutdown hooks log at the same time (the embedded
 * PostgreSQL library's own) may be lost.
 */
public final class LogFlush {

    private LogFlush() {
    }

    public static void atExit() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.stop();
        }
    }
}
