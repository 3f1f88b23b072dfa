package dev.pgtenant.proxy.transaction;

import static dev.pgtenant.proxy.transaction.MessageText.answerableCommand;
import static dev.pgtenant.proxy.transaction.MessageText.startsWithWord;

import io.netty.buffer.ByteBuf;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LISTEN or UNLISTEN a client sends by itself, which the proxy answers on the database's shared
 * listening connection (see ChannelListeners) instead of holding a backend for it.
 *
 * @param listen  LISTEN rather than UNLISTEN
 * @param channel the channel's name as PostgreSQL folds it; null for {@code UNLISTEN *}
 */
record ListenCommand(boolean listen, String channel) {

    /** Matched against stripped text: no run of spaces can be split between two quantifiers. */
    private static final Pattern LISTEN = Pattern.compile(
            "(listen|unlisten)\\s+(\"(?:[^\"]|\"\")+\"|[A-Za-z_][\\w$]*|\\*)\\s*;?", Pattern.CASE_INSENSITIVE);

    /**
     * The LISTEN or UNLISTEN that a simple Query, or a Parse of the unnamed statement without
     * parameter types, holds as its only statement; null for anything else, {@code LISTEN *}
     * included, for a text longer than the proxy answers itself, and for a channel name longer than
     * an identifier: PostgreSQL would listen on the name cut short, which the proxy would not match
     * to the notifications.
     */
    static ListenCommand of(ClientMessage message) {
        ByteBuf buffer = message.buffer();
        int start = message.bodyIndex();
        int end = message.end();
        int sqlAt;
        if (message.type() == 'Q') {
            sqlAt = 0;
        } else if (message.type() == 'P' && start < end && buffer.getByte(start) == 0) {
            sqlAt = 1;
        } else {
            return null;
        }
        int from = start + sqlAt;
        if (!startsWithWord(buffer, from, end, "listen") && !startsWithWord(buffer, from, end, "unlisten")) {
            return null;
        }
        int sqlEnd = buffer.indexOf(from, end, (byte) 0);
        if (sqlEnd < 0 || message.type() == 'P' && (sqlEnd + 3 > end || buffer.getShort(sqlEnd + 1) != 0)) {
            return null;
        }
        String text = answerableCommand(buffer, from, sqlEnd);
        if (text == null) {
            return null;
        }
        Matcher command = LISTEN.matcher(text);
        if (!command.matches()) {
            return null;
        }
        boolean listen = command.group(1).equalsIgnoreCase("listen");
        String name = command.group(2);
        if (name.equals("*")) {
            return listen ? null : new ListenCommand(false, null);
        }
        String channel = name.startsWith("\"")
                ? name.substring(1, name.length() - 1).replace("\"\"", "\"") : name.toLowerCase(Locale.ROOT);
        return MessageText.longerThanIdentifier(channel) ? null : new ListenCommand(listen, channel);
    }

    /** The command's tag, as its CommandComplete gives it. */
    String tag() {
        return listen ? "LISTEN" : "UNLISTEN";
    }
}
