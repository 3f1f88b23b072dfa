package dev.pgtenant.proxy.transaction;

import static dev.pgtenant.proxy.transaction.MessageText.answerableCommand;
import static dev.pgtenant.proxy.transaction.MessageText.startsWithWord;

import io.netty.buffer.ByteBuf;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A DEALLOCATE a client sends as a simple Query by itself. Drivers deallocate their protocol-level
 * statements this way, and those are the proxy's to keep in transaction pooling (see
 * ClientStatements), so it answers them itself instead of holding a backend.
 *
 * @param name the statement's name as PostgreSQL folds it; null for {@code DEALLOCATE ALL}
 */
record DeallocateCommand(String name) {

    private static final Pattern DEALLOCATE =
            Pattern.compile("deallocate\\s+(?:prepare\\s+)?(\"?)([\\w$]+)\\1\\s*;?", Pattern.CASE_INSENSITIVE);

    /**
     * The DEALLOCATE that {@code message}, when it is a Query, holds as its only statement; null for
     * any other message or text, for a text longer than the proxy answers itself, and for a name
     * longer than an identifier, which PostgreSQL would cut. The text is decoded only when it starts
     * with the word.
     */
    static DeallocateCommand of(ClientMessage message) {
        ByteBuf buffer = message.buffer();
        if (message.type() != 'Q' || !startsWithWord(buffer, message.bodyIndex(), message.end(), "deallocate")) {
            return null;
        }
        int sqlEnd = buffer.indexOf(message.bodyIndex(), message.end(), (byte) 0);
        String text = sqlEnd < 0 ? null : answerableCommand(buffer, message.bodyIndex(), sqlEnd);
        if (text == null) {
            return null;
        }
        Matcher deallocate = DEALLOCATE.matcher(text);
        if (!deallocate.matches()) {
            return null;
        }
        boolean quoted = !deallocate.group(1).isEmpty();
        String name = quoted ? deallocate.group(2) : deallocate.group(2).toLowerCase(Locale.ROOT);
        if (MessageText.longerThanIdentifier(name)) {
            return null;
        }
        return new DeallocateCommand(!quoted && name.equals("all") ? null : name);
    }

    /** {@code DEALLOCATE ALL}. */
    boolean all() {
        return name == null;
    }
}
