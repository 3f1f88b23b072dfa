package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import org.junit.jupiter.api.Test;

/** The bound on the SQL a client's statements hold follows every change to them. */
class ClientStatementsTest {

    private static final int HALF = (int) (ClientStatements.MAX_BYTES / 2);
    /** A text keeps its definition without a copy, so one array serves every text of a size. */
    private static final byte[] HALF_DEFINITION = new byte[HALF];

    @Test
    void theSharedEmptyBooksCannotBeChanged() {
        assertThat(ClientStatements.NONE.get("a")).isNull();
        assertThat(ClientStatements.NONE.forget("a")).isNull();
        ClientStatements.NONE.forgetAll();
        assertThat(ClientStatements.NONE.size()).isZero();
        assertThatThrownBy(() -> ClientStatements.NONE.remember("a", text(1))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void moreSqlThanTheBoundIsRefusedWithItsSqlState() {
        ClientStatements statements = new ClientStatements();
        StatementText first = text(HALF);
        statements.remember("a", first);
        statements.remember("b", text(HALF));
        assertThat(statements.size()).isEqualTo(2);
        assertThatThrownBy(() -> statements.remember("c", text(1)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROGRAM_LIMIT_EXCEEDED))
                .hasMessageContaining("MB of SQL");
        assertThat(statements.contains("c")).isFalse();

        assertThat(statements.forget("a")).isSameAs(first);
        statements.remember("c", text(HALF));
        assertThat(statements.contains("c")).isTrue();
    }

    @Test
    void aReplacedTextCountsOnlyOnce() {
        ClientStatements statements = new ClientStatements();
        statements.remember("a", text(HALF));
        statements.remember("a", text(HALF));
        statements.remember("b", text(HALF));
        assertThat(statements.size()).isEqualTo(2);

        statements.forgetAll();
        assertThat(statements.get("a")).isNull();
        statements.remember("c", text(HALF));
        // A restored statement comes back within the bound it was first kept in, and counts again.
        statements.restore("a", text(HALF));
        assertThatThrownBy(() -> statements.remember("d", text(1))).isInstanceOf(ProtocolException.class);
    }

    private static StatementText text(int bytes) {
        return new StatementText(bytes == HALF ? HALF_DEFINITION : new byte[bytes]);
    }
}
