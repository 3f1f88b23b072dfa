package dev.pgtenant.proxy.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * A log line's message ({@code %escapedMsg} in logback.xml) with control characters escaped: messages
 * quote what clients send (a user name, a startup parameter, a close reason), and a client that put
 * a line break in one could otherwise forge whole log lines, or hide its own. Line breaks and tabs are
 * shown as {@code \n}, {@code \r} and {@code \t}, other control characters as {@code \xNN}, and
 * Unicode's line and paragraph separators as {@code \u2028} and {@code \u2029}. A
 * message keeps its own backslashes: they can make text look escaped, but not start a line.
 */
public final class LogMessage extends ClassicConverter {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    @Override
    public String convert(ILoggingEvent event) {
        return escape(event.getFormattedMessage());
    }

    static String escape(String text) {
        if (text == null) {
            return "null";
        }
        int first = 0;
        while (first < text.length() && !needsEscape(text.charAt(first))) {
            first++;
        }
        if (first == text.length()) {
            return text;
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                default -> {
                    if (!needsEscape(c)) {
                        escaped.append(c);
                    } else if (c > 0xFF) {
                        escaped.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xF])
                                .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
                    } else {
                        escaped.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    }
                }
            }
        }
        return escaped.toString();
    }

    /** C0 and C1 controls and the Unicode separators: what a terminal or a log collector may take for a line break. */
    private static boolean needsEscape(char c) {
        return c < 0x20 || c >= 0x7F && c <= 0x9F || c == 0x2028 || c == 0x2029;
    }
}
