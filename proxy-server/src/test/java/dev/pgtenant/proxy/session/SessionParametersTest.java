package dev.pgtenant.proxy.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SessionParametersTest {

    private static StartupMessage startup(String... pairs) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", "alice");
        parameters.put("database", "app");
        for (int i = 0; i < pairs.length; i += 2) {
            parameters.put(pairs[i], pairs[i + 1]);
        }
        return new StartupMessage(parameters);
    }

    @Test
    void literalsAreAsciiWithQuotesAndBackslashesEscaped() {
        assertThat(SessionParameters.literal("it's a\\b")).isEqualTo("E'it''s a\\\\b'");
        assertThat(SessionParameters.literal("café")).isEqualTo("pg_catalog.convert_from(pg_catalog.decode('636166c3a9', 'hex'), 'UTF8')");
    }

    @Test
    void runtimeParametersAndOptionsBecomeOneQuery() {
        SessionParameters parameters = SessionParameters.from(startup("application_name", "it's psql",
                "client_encoding", "UTF8", "options", "-c search_path=a,b --statement-timeout=5s -cwork_mem=4MB",
                "_pq_.ext", "1"));
        assertThat(parameters.values()).containsExactly(Map.entry("search_path", "a,b"),
                Map.entry("statement_timeout", "5s"), Map.entry("work_mem", "4MB"),
                Map.entry("application_name", "it's psql"), Map.entry("client_encoding", "UTF8"));
        assertThat(parameters.toSql()).isEqualTo("SELECT pg_catalog.set_config(E'search_path', E'a,b', false), "
                + "pg_catalog.set_config(E'statement_timeout', E'5s', false), pg_catalog.set_config(E'work_mem', E'4MB', false), "
                + "pg_catalog.set_config(E'application_name', E'it''s psql', false), "
                + "pg_catalog.set_config(E'client_encoding', E'UTF8', false)");
        assertThat(parameters.unreportedValues()).containsOnlyKeys("search_path", "statement_timeout", "work_mem");
    }

    @Test
    void explicitParametersWinOverOptionsAndBackslashesAreEscaped() {
        SessionParameters parameters = SessionParameters.from(startup("options", "-c application_name=from-options",
                "application_name", "explicit\\name"));
        assertThat(parameters.values()).containsEntry("application_name", "explicit\\name");
        assertThat(parameters.toSql()).contains("E'explicit\\\\name'");
    }

    @Test
    void escapedSpacesInOptions() {
        assertThat(SessionParameters.parseOptions("-c application_name=my\\ app"))
                .containsEntry("application_name", "my app");
    }

    @Test
    void nothingToSet() {
        assertThat(SessionParameters.from(startup()).toSql()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-d 5", "-c", "-c noequals", "-c =x", "-c bad;name=1", "--=1"})
    void unsupportedOptionsAreRefused(String options) {
        assertThatThrownBy(() -> SessionParameters.from(startup("options", options)))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.sqlState().code()).isEqualTo("0A000"));
    }

    @Test
    void replicationIsRefused() {
        assertThatThrownBy(() -> SessionParameters.from(startup("replication", "database")))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("replication");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "_x", "A_b.c9", "search_path", "myapp.tenant_hint"})
    void namesOfLettersDigitsUnderscoresAndDotsAreTaken(String name) {
        assertThat(SessionParameters.from(startup(name, "1")).values()).containsEntry(name, "1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1a", ".a", "a-b", "a b", "a\"b", "caf\u00e9", "a;b"})
    void otherNamesAreRefused(String name) {
        assertThatThrownBy(() -> SessionParameters.from(startup(name, "1")))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.sqlState().code()).isEqualTo("0A000"));
    }

    @Test
    void namesAreAtMost63Characters() {
        String longest = "n".repeat(63);
        assertThat(SessionParameters.from(startup(longest, "1")).values()).containsKey(longest);
        assertThatThrownBy(() -> SessionParameters.from(startup(longest + "n", "1"))).isInstanceOf(ProtocolException.class);
    }

    @Test
    void injectionInParameterNamesIsRefused() {
        assertThatThrownBy(() -> SessionParameters.from(startup("x'); DROP TABLE t; --", "1")))
                .isInstanceOf(ProtocolException.class);
    }
}
