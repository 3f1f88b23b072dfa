package dev.pgtenant.proxy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.pgtenant.proxy.session.ClientSession;
import java.util.Arrays;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The lines the sessions log while this is open, INFO included (the tests' configuration leaves it
 * out): for tests that look for why a session ended.
 */
final class SessionLog implements AutoCloseable {

    private final Logger log = (Logger) LoggerFactory.getLogger(ClientSession.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level level;

    SessionLog() {
        appender.start();
        log.addAppender(appender);
        level = log.getLevel();
        log.setLevel(Level.INFO);
    }

    /** Logback appends under the appender's lock, on the event loops. */
    List<String> lines() {
        synchronized (appender) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    /** Whether a line holds every one of {@code parts}. */
    boolean has(String... parts) {
        return lines().stream().anyMatch(line -> Arrays.stream(parts).allMatch(line::contains));
    }

    @Override
    public void close() {
        log.setLevel(level);
        log.detachAppender(appender);
    }
}
