package dev.pgtenant.config.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BackendAddressTest {

    @Test
    void anIpv6LiteralRoundTrips() {
        BackendAddress address = BackendAddress.parse("postgresql://[::1]:5433");
        assertThat(address.host()).isEqualTo("::1");
        assertThat(address.toString()).isEqualTo("postgresql://[::1]:5433");
        assertThat(BackendAddress.parse(address.toString())).isEqualTo(address);
    }
}
