package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.startup.SslRequest;
import org.junit.jupiter.api.Test;

/** Stopping the proxy tells every client why, with 57P01 as PostgreSQL does, and closes it. */
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
}
