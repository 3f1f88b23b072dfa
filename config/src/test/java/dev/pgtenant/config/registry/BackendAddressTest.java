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

    /**
     * pgjdbc reads the database name back exactly, whatever it holds: a raw '?' would start connection
     * parameters that override the caller's (another database, another user), '+' would become a space.
     */
    @Test
    void aJdbcUrlCarriesAnyDatabaseNameAsItIs() throws java.sql.SQLException {
        for (String database : java.util.List.of("orgdata_b?user=postgres&options=-csearch_path=x", "acme+co", "50% off", "a/b#c", "zoë")) {
            for (BackendAddress server : java.util.List.of(new BackendAddress("db1", 5433), new BackendAddress("::1", 5432))) {
                java.util.Properties parsed = org.postgresql.Driver.parseURL(server.jdbcUrl(database), null);
                assertThat(parsed).as(server.jdbcUrl(database)).isNotNull();
                assertThat(parsed.getProperty("PGDBNAME")).isEqualTo(database);
                assertThat(parsed.getProperty("user")).isNull();
                assertThat(parsed.getProperty("PGHOST")).isEqualTo(server.host().contains(":") ? "[" + server.host() + "]" : server.host());
            }
        }
    }
}
