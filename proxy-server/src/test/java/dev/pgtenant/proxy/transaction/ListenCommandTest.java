package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.Query;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which texts the proxy answers as a LISTEN or UNLISTEN of its own, and on which channel. */
class ListenCommandTest {

    @Test
    void aSimpleQueryNamesItsChannelAsPostgresqlFoldsIt() {
        assertThat(command(new Query("LISTEN Orders"))).isEqualTo(new ListenCommand(true, "orders"));
        assertThat(command(new Query("  unlisten orders ;  "))).isEqualTo(new ListenCommand(false, "orders"));
        assertThat(command(new Query("listen \"Mixed \"\"Case\"\"\""))).isEqualTo(new ListenCommand(true, "Mixed \"Case\""));
        assertThat(command(new Query("UNLISTEN *"))).isEqualTo(new ListenCommand(false, null));
        assertThat(command(new Query("LISTEN orders")).tag()).isEqualTo("LISTEN");
        assertThat(command(new Query("UNLISTEN *")).tag()).isEqualTo("UNLISTEN");
    }

    @Test
    void theUnnamedStatementWithoutParameterTypesIsOneToo() {
        assertThat(command(new Parse("", "LISTEN orders", List.of()))).isEqualTo(new ListenCommand(true, "orders"));
        assertThat(command(new Parse("named", "LISTEN orders", List.of()))).isNull();
        assertThat(command(new Parse("", "LISTEN orders", List.of(25)))).isNull();
    }

    @Test
    void anythingElseGoesToABackend() {
        assertThat(command(new Query("LISTEN *"))).isNull();
        assertThat(command(new Query("LISTEN orders; SELECT 1"))).isNull();
        assertThat(command(new Query("LISTEN 1orders"))).isNull();
        assertThat(command(new Query("listening"))).isNull();
        assertThat(command(new Query("SELECT 'LISTEN orders'"))).isNull();
        assertThat(command(new Query("LISTEN \"" + "x".repeat(MessageText.MAX_ANSWERED_COMMAND_BYTES) + "\""))).isNull();
    }

    @Test
    void aChannelNameLongerThanAnIdentifierGoesToABackend() {
        String longest = "c".repeat(MessageText.MAX_IDENTIFIER_BYTES);
        assertThat(command(new Query("LISTEN " + longest))).isEqualTo(new ListenCommand(true, longest));
        assertThat(command(new Query("LISTEN " + longest + "c"))).isNull();
        assertThat(command(new Query("UNLISTEN \"" + "é".repeat(32) + "\""))).as("64 bytes in 32 characters").isNull();
        assertThat(command(new Query("UNLISTEN \"" + "é".repeat(31) + "\""))).isEqualTo(new ListenCommand(false, "é".repeat(31)));
    }

    @Test
    void anUnterminatedOrTruncatedMessageIsNone() {
        byte[] text = "LISTEN orders".getBytes(StandardCharsets.US_ASCII);
        assertThat(command(Unpooled.buffer().writeByte('Q').writeInt(4 + text.length).writeBytes(text))).isNull();
        // A Parse that ends before its parameter count.
        assertThat(command(Unpooled.buffer().writeByte('P').writeInt(4 + 1 + text.length + 1).writeByte(0).writeBytes(text).writeByte(0)))
                .isNull();
        assertThat(command(Unpooled.buffer().writeByte('P').writeInt(4))).isNull();
    }

    @Test
    void onlyTheMessagesOwnBytesAreRead() {
        // The next message in the same read must not complete a text that ends short of its NUL.
        ByteBuf read = Unpooled.buffer();
        try {
            new Query("LISTEN orders").encode(read);
            int first = read.readableBytes();
            new Query("SELECT 1").encode(read);
            assertThat(ListenCommand.of(new ClientMessage().set((byte) 'Q', read, 0, first - 1))).isNull();
            assertThat(ListenCommand.of(new ClientMessage().set((byte) 'Q', read, 0, first))).isEqualTo(new ListenCommand(true, "orders"));
        } finally {
            read.release();
        }
    }

    private static ListenCommand command(FrontendMessage message) {
        return ReadMessages.read(message, ListenCommand::of);
    }

    /** The command in the message {@code buf} holds from its start; releases {@code buf}. */
    private static ListenCommand command(ByteBuf buf) {
        return ReadMessages.read(buf, ListenCommand::of);
    }
}
