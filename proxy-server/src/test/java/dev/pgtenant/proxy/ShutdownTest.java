package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import org.junit.jupiter.api.Test;

/** Stopping the proxy closes every client connection, in whatever state it is. */
class ShutdownTest {

    @Test
    void stoppingTheProxyClosesReadyAndStartingClients() throws Exception {
        ProxyFixture proxy = ProxyFixture.start("a");
        try (ScramClient ready = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD);
             RawClient starting = new RawClient(proxy.port())) {
            assertThat(ready.awaitReady()).isEqualTo(ReadyForQuery.TransactionStatus.IDLE);
            proxy.close();
            assertThat(ready.raw().closedByPeer()).isTrue();
            assertThat(starting.closedByPeer()).isTrue();
        }
    }
}
