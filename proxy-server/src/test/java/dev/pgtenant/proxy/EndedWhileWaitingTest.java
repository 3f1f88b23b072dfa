package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ParseComplete;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.Sync;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Messages a transaction-mode client sends while it waits for a backend are held and forwarded once
 * it gets one: when one of them ends the session, the ones after it are not run.
 */
class EndedWhileWaitingTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start(ProxyFixture.transactionPool(1), "a");
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE ran (v int)");
        }
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    @Test
    void messagesHeldAfterOneThatEndsTheSessionAreNotRun() throws IOException, SQLException {
        // Two statements the proxy keeps, 10,000 bytes short of the 64 MB of SQL it keeps for one client
        // (each kept text is its SQL, a NUL and a parameter count).
        int kept = (64 * 1024 * 1024 - 10_000) / 2 - 3;
        String padding = "x".repeat(kept - "SELECT 1 /*  */".length());
        try (Connection holder = proxy.connect("a");
             ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            for (int i = 0; i < 2; i++) {
                client.raw().send(new Parse("kept_" + i, "SELECT 1 /* " + padding + " */", List.of())).send(new Sync());
                assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            }
            holder.setAutoCommit(false);
            try (Statement statement = holder.createStatement()) {
                statement.execute("SELECT 1");
            }
            // The one connection is held: the Query waits for it, and what follows waits with it, under
            // the 64 KB past which the proxy stops reading. The Parse then passes the bound when forwarded.
            client.raw().send(new Query("SELECT 1"))
                    .send(new Parse("past_the_bound", "SELECT 2 /* " + "y".repeat(20_000) + " */", List.of()))
                    .send(new Sync())
                    .send(new Query("INSERT INTO ran VALUES (1)"));
            holder.rollback();
            // The proxy may not have read the Parse yet when the connection frees: then the Query's reply
            // comes first, and the Parse, held for its Sync in turn, ends the session all the same.
            BackendMessage first = client.raw().receive();
            if (!(first instanceof ErrorResponse)) {
                assertThat(first).isInstanceOf(RowDescription.class);
                assertThat(client.raw().receive()).isInstanceOf(DataRow.class);
                assertThat(client.raw().receive()).isInstanceOf(CommandComplete.class);
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
                first = client.raw().fatal();
            }
            assertThat(((ErrorResponse) first).severity()).isEqualTo("FATAL");
            assertThat(((ErrorResponse) first).sqlState()).isEqualTo("54000");
            assertThat(client.raw().closedByPeer()).isTrue();
        }
        try (Connection check = proxy.connect("a"); Statement statement = check.createStatement();
             ResultSet rows = statement.executeQuery("SELECT count(*) FROM ran")) {
            rows.next();
            assertThat(rows.getInt(1)).as("the INSERT held behind the Parse that ended the session").isZero();
        }
    }
}
