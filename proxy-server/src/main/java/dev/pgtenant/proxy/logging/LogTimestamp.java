package dev.pgtenant.proxy.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The time of a log line as {@code 2026-11-27T17:26:18.284+0000} ({@code %ts} in logback.xml), the
 * same text as {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSZ}}. Logback's own converter formats the whole
 * date again for every millisecond; a login storm logs a line per client, and under
 * {@code pgbench -C} that formatting was 4% of the event loop's CPU when the loop wrote the lines
 * itself. This one formats once per second and appends the milliseconds.
 */
public final class LogTimestamp extends ClassicConverter {

    private static final DateTimeFormatter UP_TO_SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.");
    private static final DateTimeFormatter OFFSET = DateTimeFormatter.ofPattern("Z");

    /** One second's text; replaced whole, since lines are formatted on several threads at once. */
    private record Second(long epochSecond, String date, String offset) {
    }

    private final ZoneId zone;
    private volatile Second last = new Second(Long.MIN_VALUE, "", "");

    /** In the system's time zone, as logback's {@code %d}. */
    public LogTimestamp() {
        this(ZoneId.systemDefault());
    }

    LogTimestamp(ZoneId zone) {
        this.zone = zone;
    }

    @Override
    public String convert(ILoggingEvent event) {
        long millis = event.getTimeStamp();
        long epochSecond = Math.floorDiv(millis, 1000L);
        Second second = last;
        if (second.epochSecond() != epochSecond) {
            ZonedDateTime time = Instant.ofEpochSecond(epochSecond).atZone(zone);
            second = new Second(epochSecond, UP_TO_SECONDS.format(time), OFFSET.format(time));
            last = second;
        }
        int milli = (int) Math.floorMod(millis, 1000L);
        StringBuilder text = new StringBuilder(second.date().length() + 3 + second.offset().length()).append(second.date());
        if (milli < 100) {
            text.append(milli < 10 ? "00" : "0");
        }
        return text.append(milli).append(second.offset()).toString();
    }
}
