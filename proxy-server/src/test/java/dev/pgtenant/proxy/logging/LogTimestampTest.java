package dev.pgtenant.proxy.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

class LogTimestampTest {

    private static final DateTimeFormatter LOGBACK_PATTERN = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

    /** The same text as logback's %d with the pattern it replaces, across seconds and in any order. */
    @Test
    void writesWhatTheDatePatternWrites() {
        LogTimestamp converter = new LogTimestamp();
        long base = Instant.parse("2026-11-27T17:26:18Z").toEpochMilli();
        long[] times = {base, base + 7, base + 45, base + 999, base + 1000, base + 1001, base + 5, base + 86_400_123L,
                0, 1, 999, -1, -1001};
        for (long time : times) {
            LoggingEvent event = new LoggingEvent();
            event.setTimeStamp(time);
            assertThat(converter.convert(event))
                    .isEqualTo(LOGBACK_PATTERN.format(Instant.ofEpochMilli(time).atZone(ZoneId.systemDefault())));
        }
    }
}
