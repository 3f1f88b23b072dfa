package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.startup.SslRequest;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.proxy.session.LiveSessions;
import dev.pgtenant.testkit.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Stopping the proxy tells every client why, with 57P01 as PostgreSQL does, and closes it; so does
 * ending one session, also when its client reads nothing.
 */
class ShutdownTest {

    @Test
    void stoppingTheProxyEndsReadyAndStartingClientsWith57P01() throws Exception {
        ProxyFixture proxy = ProxyFixture.start("a");
        try (ScramClient ready = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD);
             RawClient starting = new RawClient(proxy.port())) {
            assertThat(ready.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            // The proxy's answer shows the starting client's session is open, not waiting in the backlog.
            assertThat(starting.send(new SslRequest()).readByte()).isEqualTo('N');
            proxy.close();
            assertThat(ready.raw().fatal().sqlState()).isEqualTo("57P01");
            assertThat(ready.raw().closedByPeer()).isTrue();
            assertThat(starting.fatal().sqlState()).isEqualTo("57P01");
            assertThat(starting.closedByPeer()).isTrue();
        }
    }

    /**
     * A large reply of notices, which the proxy passes on whole, one by one: a client that stops
     * reading stops between two, where an error could still be written (in the middle of a row, the
     * proxy closes without it at once: LargeValuesTest).
     */
    private static final String NOTICES = "DO $$ BEGIN FOR i IN 1..200000 LOOP RAISE NOTICE '%', repeat('x', 1000); END LOOP; END $$";

    /**
     * A client that stops reading in the middle of a large reply never lets the 57P01 be written:
     * its connection is then closed without it, and the proxy still stops within its bound.
     */
    @Test
    void aClientThatReadsNothingDoesNotHoldUpTheStop() throws Exception {
        ProxyFixture proxy = ProxyFixture.start("a");
        try (ScramClient stalled = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            assertThat(stalled.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            long replyBytes = 200_000L * 1_000;
            stalled.raw().send(new Query(NOTICES));
            awaitBuffersFull(stalled.raw());
            Logger sessionsLog = (Logger) LoggerFactory.getLogger(LiveSessions.class);
            ListAppender<ILoggingEvent> logged = new ListAppender<>();
            logged.start();
            sessionsLog.addAppender(logged);
            long start = System.nanoTime();
            try {
                proxy.close();
            } finally {
                sessionsLog.detachAppender(logged);
            }
            Duration stopping = Duration.ofNanos(System.nanoTime() - start);
            assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage)
                    .anyMatch(line -> line.contains("did not take the shutdown notice"));
            // Half of the 5 s shutdown timeout for the error to go out, then the close without it:
            // the other half is for connections that close slowly, and this one closes at once.
            assertThat(stopping).isLessThan(Duration.ofMillis(4_500));
            assertThat(stalled.raw().drainUntilClosed()).isLessThan(replyBytes);
        }
    }

    /**
     * A session ended while its client reads nothing (here by its organization's removal) never lets
     * its 57P01 be written: the connection is closed without it a few seconds later, not kept open
     * for as long as the client likes.
     */
    @Test
    void anEndedSessionWhoseClientReadsNothingIsClosedWithoutItsError() throws Exception {
        try (SessionLog sessions = new SessionLog();
             ProxyFixture proxy = ProxyFixture.start("a");
             ScramClient stalled = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            assertThat(stalled.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            long replyBytes = 200_000L * 1_000;
            stalled.raw().send(new Query(NOTICES));
            awaitBuffersFull(stalled.raw());
            Registry before = proxy.registry();
            proxy.update(registry -> registry.withoutOrganization(proxy.orgId("a")));
            proxy.server().registryChanged(before, proxy.registry());
            Await.until(() -> sessions.has(proxy.user("a"), "closed without it"), Duration.ofSeconds(15),
                    () -> "the stalled session is closed without its error: " + sessions.lines());
            assertThat(stalled.raw().drainUntilClosed()).isLessThan(replyBytes);
        }
    }

    /** Waits, bounded, until bytes have stopped arriving: the socket buffers between proxy and client are full. */
    private static void awaitBuffersFull(RawClient client) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        int last = -1;
        int steady = 0;
        while (steady < 3) {
            assertThat(System.nanoTime()).as("the result filled the client's buffers in time").isLessThan(deadline);
            Thread.sleep(100);
            int now = client.available();
            steady = now > 0 && now == last ? steady + 1 : 0;
            last = now;
        }
    }
}
