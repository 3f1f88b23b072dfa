package dev.pgtenant.proxy.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.LoggingEvent;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogTimestampTest {

    private static final DateTimeFormatter LOGBACK_PATTERN = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

    /**
     * The same text as the %d pattern it replaces, across seconds, in any order, and across a
     * daylight-saving change (Berlin went to summer time at 2026-03-29T01:00Z) and offsets that are
     * not whole hours.
     */
    @ParameterizedTest
    @ValueSource(strings = {"UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"})
    void writesWhatTheDatePatternWrites(String zoneName) {
        ZoneId zone = ZoneId.of(zoneName);
        LogTimestamp converter = new LogTimestamp(zone);
        long base = Instant.parse("2026-11-27T17:26:18Z").toEpochMilli();
        long summerTime = Instant.parse("2026-03-29T01:00:00Z").toEpochMilli();
        long[] times = {base, base + 7, base + 45, base + 999, base + 1000, base + 1001, base + 5, base + 86_400_123L,
                summerTime - 1, summerTime, summerTime + 1, summerTime - 1000, 0, 1, 999, -1, -1001};
        for (long time : times) {
            LoggingEvent event = new LoggingEvent();
            event.setTimeStamp(time);
            assertThat(converter.convert(event)).isEqualTo(LOGBACK_PATTERN.format(Instant.ofEpochMilli(time).atZone(zone)));
        }
    }
}
