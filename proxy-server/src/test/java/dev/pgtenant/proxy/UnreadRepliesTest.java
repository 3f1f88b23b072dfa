package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.testkit.Await;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that never reads cannot make the proxy keep its notifications without limit: nothing holds
 * them back, so the session ends past a bound.
 */
class UnreadRepliesTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start(ProxyFixture.transactionPool(2), "a");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    /**
     * A listener that reads nothing while notifications keep coming is disconnected past 16 MB unread
     * (then closed 5 s later, as its error cannot be written either).
     */
    @Test
    void aListenerThatReadsNoneOfItsNotificationsIsDisconnected() throws Exception {
        try (SessionLog sessions = new SessionLog();
             ScramClient listener = ScramClient.login(new RawClient(proxy.port(), 16 * 1024), proxy.user("a"), ProxyFixture.PASSWORD);
             Connection notifier = proxy.connect("a"); Statement statement = notifier.createStatement()) {
            listener.awaitReady();
            listener.raw().send(new Query("LISTEN unread"));
            // 47 MB of notifications in one transaction, each payload its own (PostgreSQL folds equal ones):
            // past the bound even with all the kernel's socket buffers full first.
            statement.execute("SELECT pg_notify('unread', repeat('x', 7900) || g) FROM generate_series(1, 6000) g");
            Await.until(() -> sessions.has(proxy.user("a"), "MB of notifications unread"), Duration.ofSeconds(15),
                    () -> "the listener that reads nothing was not disconnected: " + sessions.lines());
        }
    }
}
