package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BindComplete;
import dev.pgtenant.protocol.message.backend.CopyResponse;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ParseComplete;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.frontend.Bind;
import dev.pgtenant.protocol.message.frontend.CopyDone;
import dev.pgtenant.protocol.message.frontend.CopyFail;
import dev.pgtenant.protocol.message.frontend.Execute;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.Sync;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * COPY FROM STDIN started by Execute, in transaction mode over a pool of one connection: which Syncs
 * the backend answers depends on when CopyDone or CopyFail reaches it, which the proxy cannot tell.
 * The session keeps the backend and the backend is closed at its end, so the organization's next
 * client never gets replies meant for the first, nor a backend still skipping to a Sync.
 */
class ExtendedCopyTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start(ProxyFixture.transactionPool(1), "a");
        try (Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE copy_target (v text)");
        }
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static ScramClient login() throws IOException {
        ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD);
        client.awaitReady();
        return client;
    }

    private static void startCopy(ScramClient client) throws IOException {
        client.raw().send(new Parse("", "COPY copy_target FROM STDIN", List.of()))
                .send(new Bind("", "", List.of(), List.of(), List.of()))
                .send(new Execute("", 0))
                .send(new Sync());
    }

    /** The rows a simple query returns to this client, first column, until its ReadyForQuery. */
    private static String firstValue(ScramClient client) throws IOException {
        String value = null;
        for (BackendMessage reply = client.raw().receive(); !(reply instanceof ReadyForQuery); reply = client.raw().receive()) {
            assertThat(reply).isNotInstanceOf(ErrorResponse.class);
            if (reply instanceof DataRow row) {
                value = new String(row.values().get(row.values().size() - 1).toByteArray(), StandardCharsets.UTF_8);
            }
        }
        return value;
    }

    /** A CopyFail leaves the backend skipping to the next Sync, which the client had sent before the COPY began. */
    @Test
    void aBackendLeftSkippingToSyncIsNotGivenToTheNextClient() throws IOException {
        try (ScramClient copier = login()) {
            startCopy(copier);
            assertThat(copier.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(copier.raw().receive()).isInstanceOf(BindComplete.class);
            assertThat(copier.raw().receive()).isInstanceOf(CopyResponse.class);
            copier.raw().send(new CopyFail("the client changed its mind"));
            assertThat(copier.raw().receive()).isInstanceOf(ErrorResponse.class);
        }
        try (ScramClient next = login()) {
            next.raw().send(new Query("SELECT 'next'"));
            assertThat(firstValue(next)).isEqualTo("next");
        }
    }

    /**
     * The Sync before CopyDone is ignored by the backend, the one after it answered: a proxy that
     * counted them wrong would give the connection back while the query after them still runs, and
     * the client waiting for it would get that query's rows as its own.
     */
    @Test
    void theNextClientGetsItsOwnRowsNotThoseOfAQueryPipelinedAfterACopy() throws IOException {
        try (ScramClient waiting = login(); ScramClient copier = login()) {
            startCopy(copier);
            copier.raw().send(new CopyDone()).send(new Sync()).send(new Query("SELECT pg_sleep(2), 'forged'"));
            waiting.raw().send(new Query("SELECT 'mine'"));
            readUntilItsQueryEnds(copier);
            copier.close();
            assertThat(firstValue(waiting)).isEqualTo("mine");
        }
    }

    /** Reads the copier's replies until its pipelined query has answered, or the proxy ended the session. */
    private static void readUntilItsQueryEnds(ScramClient copier) throws IOException {
        boolean sawRow = false;
        for (int replies = 0; replies < 20; replies++) {
            BackendMessage reply;
            try {
                reply = copier.raw().receive();
            } catch (java.io.EOFException closed) {
                return;
            } catch (java.net.SocketTimeoutException silent) {
                throw new AssertionError("the copier's replies stopped coming: the backend went to another client", silent);
            }
            if (reply instanceof ErrorResponse) {
                return;
            }
            sawRow |= reply instanceof DataRow || reply instanceof RowDescription;
            if (sawRow && reply instanceof ReadyForQuery) {
                return;
            }
        }
        throw new AssertionError("the copier's query never ended");
    }
}
