package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.frontend.Execute;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.Query;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which DEALLOCATE texts the proxy answers itself, and which statement they name. */
class DeallocateCommandTest {

    @Test
    void aStatementIsNamedAsPostgresqlFoldsIt() {
        assertThat(command(new Query("DEALLOCATE S_1"))).isEqualTo(new DeallocateCommand("s_1"));
        assertThat(command(new Query("  deallocate prepare S_2 ; "))).isEqualTo(new DeallocateCommand("s_2"));
        assertThat(command(new Query("DEALLOCATE \"MyStatement\""))).isEqualTo(new DeallocateCommand("MyStatement"));
    }

    @Test
    void allIsEveryStatementUnlessQuoted() {
        assertThat(command(new Query("DEALLOCATE ALL")).all()).isTrue();
        assertThat(command(new Query("deallocate prepare all;")).all()).isTrue();
        DeallocateCommand quoted = command(new Query("DEALLOCATE \"all\""));
        assertThat(quoted.all()).isFalse();
        assertThat(quoted.name()).isEqualTo("all");
    }

    @Test
    void anythingElseGoesToABackend() {
        assertThat(command(new Query("DEALLOCATE"))).isNull();
        assertThat(command(new Query("DEALLOCATE a b"))).isNull();
        assertThat(command(new Query("DEALLOCATE \"a"))).isNull();
        assertThat(command(new Query("DEALLOCATE a; SELECT 1"))).isNull();
        assertThat(command(new Query("deallocated"))).isNull();
        assertThat(command(new Query("SELECT 1"))).isNull();
        assertThat(command(new Parse("", "DEALLOCATE a", List.of()))).isNull();
        // Only a Query: another message whose body starts with the words is not one.
        assertThat(command(new Execute("deallocate all", 0))).isNull();
        assertThat(command(new Parse("DEALLOCATE a", "SELECT 1", List.of()))).isNull();
        assertThat(command(new Query("DEALLOCATE " + "s".repeat(MessageText.MAX_IDENTIFIER_BYTES + 1)))).isNull();
        assertThat(command(new Query("DEALLOCATE " + "s".repeat(MessageText.MAX_IDENTIFIER_BYTES))).name())
                .hasSize(MessageText.MAX_IDENTIFIER_BYTES);
        assertThat(command(new Query("DEALLOCATE " + "a".repeat(MessageText.MAX_ANSWERED_COMMAND_BYTES)))).isNull();
    }

    @Test
    void anUnterminatedQueryIsNone() {
        byte[] text = "DEALLOCATE a".getBytes(StandardCharsets.US_ASCII);
        ByteBuf query = Unpooled.buffer().writeByte('Q').writeInt(4 + text.length).writeBytes(text);
        assertThat(ReadMessages.read(query, DeallocateCommand::of)).isNull();
    }

    private static DeallocateCommand command(FrontendMessage message) {
        return ReadMessages.read(message, DeallocateCommand::of);
    }
}
