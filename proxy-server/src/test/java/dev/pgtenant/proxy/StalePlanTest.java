package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.message.backend.BindComplete;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.ParseComplete;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.frontend.Bind;
import dev.pgtenant.protocol.message.frontend.Describe;
import dev.pgtenant.protocol.message.frontend.Execute;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.PortalOrStatement;
import dev.pgtenant.protocol.message.frontend.Sync;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** After DDL changes a prepared statement's result type, the proxy prepares it again instead of failing. */
class StalePlanTest {

    @Test
    void aBatchThatDescribesItsResultRunsAgainTransparently() throws IOException, SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.transactionPool(1), "a")) {
            try (Connection setup = proxy.connect("a"); Statement statement = setup.createStatement()) {
                statement.execute("CREATE TABLE items (a int)");
                statement.execute("INSERT INTO items VALUES (1)");
            }
            try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
                client.awaitReady();
                client.raw().send(new Parse("all_items", "SELECT * FROM items WHERE a > $1", List.of(23))).send(new Sync());
                assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
                client.awaitReady();
                assertThat(run(client).columns()).hasSize(1);
                try (Connection ddl = proxy.connect("a"); Statement statement = ddl.createStatement()) {
                    statement.execute("ALTER TABLE items ADD COLUMN b text DEFAULT 'new'");
                }
                RowDescription after = run(client);
                assertThat(after.columns()).extracting(RowDescription.Column::name).containsExactly("a", "b");
            }
            assertThat(proxy.server().statementCounters().replays()).isEqualTo(1);
        }
    }

    @Test
    void pgjdbcSeesTheErrorOnceThenWorks() throws SQLException {
        try (ProxyFixture proxy = ProxyFixture.start(ProxyFixture.transactionPool(1), "a");
             Connection connection = proxy.connect("a"); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE things (a int)");
            statement.execute("INSERT INTO things VALUES (1)");
            try (PreparedStatement select = connection.prepareStatement("SELECT * FROM things")) {
                select.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1);
                for (int i = 0; i < 3; i++) {
                    try (ResultSet rows = select.executeQuery()) {
                        assertThat(rows.next()).isTrue();
                    }
                }
                statement.execute("ALTER TABLE things ADD COLUMN b int DEFAULT 2");
                int columns = 0;
                for (int attempt = 0; attempt < 2 && columns == 0; attempt++) {
                    try (ResultSet rows = select.executeQuery()) {
                        rows.next();
                        columns = rows.getMetaData().getColumnCount();
                    } catch (SQLException e) {
                        assertThat(e.getSQLState()).isEqualTo("0A000");
                    }
                }
                assertThat(columns).isEqualTo(2);
            }
            dev.pgtenant.testkit.Await.until(() -> proxy.stats("a").active() == 0, java.time.Duration.ofSeconds(10),
                    () -> "an idle client kept its backend after the stale statement was closed: " + proxy.stats("a"));
        }
    }

    /** Bind, Describe portal, Execute, Sync, as libpq's PQexecPrepared sends them; returns the description. */
    private static RowDescription run(ScramClient client) throws IOException {
        client.raw().send(new Bind("", "all_items", List.of(), List.of(ByteString.copyOf("0".getBytes())), List.of()))
                .send(new Describe(PortalOrStatement.PORTAL, "")).send(new Execute("", 0)).send(new Sync());
        assertThat(client.raw().receive()).isInstanceOf(BindComplete.class);
        RowDescription description = (RowDescription) client.raw().receive();
        assertThat(client.raw().receive()).isInstanceOf(DataRow.class);
        assertThat(client.raw().receive()).isInstanceOf(CommandComplete.class);
        assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
        return description;
    }
}
