package dev.pgtenant.proxy.transaction;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a backend is sent so that its settings become the client's that takes it. */
class SettingsSqlTest {

    @Test
    void aBackendWithTheClientsSettingsIsSentNothing() {
        assertThat(SettingsSql.toMatch(Map.of("search_path", "app"), Map.of("TimeZone", "UTC"),
                Map.of("search_path", "app"), Map.of("TimeZone", "UTC"))).isNull();
        assertThat(SettingsSql.toMatch(Map.of(), Map.of(), Map.of(), Map.of())).isNull();
    }

    @Test
    void anEarlierClientsStartupSettingIsResetAndThisClientsAreSet() {
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("search_path", "app");
        startup.put("statement_timeout", "5s");
        assertThat(SettingsSql.toMatch(Map.of("work_mem", "64MB", "search_path", "other"), Map.of(), startup, Map.of()))
                .isEqualTo("RESET \"work_mem\";SELECT pg_catalog.set_config(E'search_path', E'app', false), "
                        + "pg_catalog.set_config(E'statement_timeout', E'5s', false)");
    }

    @Test
    void aReportedParameterIsSetWhereTheBackendReportsAnother() {
        assertThat(SettingsSql.toMatch(Map.of(), Map.of("TimeZone", "UTC", "DateStyle", "ISO, MDY"), Map.of(),
                Map.of("TimeZone", "Europe/Paris", "DateStyle", "ISO, MDY")))
                .isEqualTo("SELECT pg_catalog.set_config(E'TimeZone', E'Europe/Paris', false)");
    }

    @Test
    void namesAndValuesCannotLeaveTheirQuotes() {
        assertThat(SettingsSql.toMatch(Map.of("my.\"x", "1"), Map.of(), Map.of(), Map.of())).isEqualTo("RESET \"my.\"\"x\";");
        assertThat(SettingsSql.toMatch(Map.of(), Map.of(), Map.of("application_name", "it's \\ é"), Map.of()))
                .isEqualTo("SELECT pg_catalog.set_config(E'application_name', pg_catalog.convert_from(pg_catalog.decode("
                        + "'69742773205c20c3a9', 'hex'), 'UTF8'), false)");
        assertThat(SettingsSql.toMatch(Map.of(), Map.of(), Map.of("application_name", "it's \\"), Map.of()))
                .isEqualTo("SELECT pg_catalog.set_config(E'application_name', E'it''s \\\\', false)");
    }
}
