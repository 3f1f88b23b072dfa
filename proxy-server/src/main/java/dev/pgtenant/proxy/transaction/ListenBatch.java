package dev.pgtenant.proxy.transaction;

import static dev.pgtenant.proxy.transaction.MessageText.readString;

import dev.pgtenant.protocol.codec.Frame;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An extended-protocol LISTEN or UNLISTEN, held until its Sync: drivers send it as the unnamed
 * statement's batch (Parse, Bind, Describe, Execute, Sync, or the same without the Describe), and
 * the proxy answers that batch itself when it has that shape. Any other batch that starts with such
 * a Parse goes to a backend as the client sent it.
 */
final class ListenBatch {

    /** Parse, Bind, Describe, Execute: the most messages of a batch the proxy answers, before its Sync. */
    private static final int MAX_MESSAGES = 4;

    private final ListenCommand command;
    private final List<Frame> messages = new ArrayList<>(MAX_MESSAGES);
    /** Kept apart from the messages, so that it is still known once they are released. */
    private boolean describes;

    /** Starts with the Parse that holds {@code command}. */
    ListenBatch(ListenCommand command, ClientMessage parse) {
        this.command = command;
        messages.add(parse.keep());
    }

    ListenCommand command() {
        return command;
    }

    /**
     * Keeps a Bind, Describe or Execute that may still belong to an answerable batch; false for
     * anything else. Past the bound the batch is not one the proxy answers, and a client cannot make
     * the proxy hold more of its messages here without a backend.
     */
    boolean add(ClientMessage message) {
        byte type = message.type();
        if ((type == 'B' || type == 'D' || type == 'E') && messages.size() < MAX_MESSAGES) {
            messages.add(message.keep());
            describes |= type == 'D';
            return true;
        }
        return false;
    }

    /**
     * Whether the batch is the one the proxy's replies fit: Parse, Bind of that unnamed statement,
     * Execute of the Bind's portal, with a Describe of that portal between the last two or not. Any
     * other batch would get replies to something it did not ask.
     */
    boolean answerable() {
        int size = messages.size();
        if (size < MAX_MESSAGES - 1 || messages.get(1).type() != 'B' || messages.get(size - 1).type() != 'E') {
            return false;
        }
        // Names are compared as bytes: ISO-8859-1 maps each to one character.
        ByteBuf bind = messages.get(1).body();
        String portal = readString(bind, 0, StandardCharsets.ISO_8859_1);
        if (portal == null || !"".equals(readString(bind, portal.length() + 1, StandardCharsets.ISO_8859_1))
                || !portal.equals(readString(messages.get(size - 1).body(), 0, StandardCharsets.ISO_8859_1))) {
            return false;
        }
        if (size == MAX_MESSAGES - 1) {
            return true;
        }
        Frame describe = messages.get(2);
        ByteBuf body = describe.body();
        return describe.type() == 'D' && body.isReadable() && body.getByte(body.readerIndex()) == 'P'
                && portal.equals(readString(body, 1, StandardCharsets.ISO_8859_1));
    }

    /** Whether an answerable batch asks for a Describe of its portal, which the proxy answers with NoData. */
    boolean describes() {
        return describes;
    }

    /** Hands each held message to {@code to}, in order, and releases it: the batch is empty after. */
    void handOver(Consumer<ClientMessage> to) {
        ClientMessage view = new ClientMessage();
        try {
            for (Frame kept : messages) {
                to.accept(view.set(kept));
            }
        } finally {
            release();
        }
    }

    /** Releases the held messages: the client has gone, or the proxy answers the batch. */
    void release() {
        messages.forEach(Frame::release);
        messages.clear();
    }
}
