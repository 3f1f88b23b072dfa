package dev.pgtenant.config.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ControlDatabaseTest {

    private static final Map<String, String> NO_ENVIRONMENT = Map.of();

    @Test
    void readsEveryPartOfALibpqUrl() {
        ControlDatabase db = ControlDatabase.parse("postgresql://pgtenant:s%40cret@db.internal:5433/control?sslmode=require",
                NO_ENVIRONMENT::get);
        assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/control");
        assertThat(db.connectionProperties()).containsEntry("user", "pgtenant").containsEntry("password", "s@cret")
                .containsEntry("sslmode", "require");
        assertThat(db.toString()).isEqualTo("postgresql://pgtenant@db.internal:5433/control");
    }

    @Test
    void takesTheDefaultPortAndThePasswordFromPgpassword() {
        ControlDatabase db = ControlDatabase.parse("postgres://pgtenant@[::1]/control", Map.of("PGPASSWORD", "pw")::get);
        assertThat(db.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5432/control");
        assertThat(db.password()).isEqualTo("pw");
    }

    @Test
    void takesTheUserFromPguser() {
        assertThat(ControlDatabase.parse("postgresql://localhost/control", Map.of("PGUSER", "ops")::get).user()).isEqualTo("ops");
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql://u:secretpw@/control", "postgresql://u:secretpw@host", "postgresql://u:secretpw@host/",
            "postgresql://host/control", "postgresql://u:secretpw@host:99999999999/control x",
            "postgresql://u:secret/pw@host/db", "postgresql://u:secret@pw@/db", "postgresql://u:secret#pw@host/db",
            "postgresql://u:secret?pw@host/db"})
    void refusesIncompleteUrlsWithoutShowingThePassword(String url) {
        assertThatThrownBy(() -> ControlDatabase.parse(url, NO_ENVIRONMENT::get)).isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("registry URL").hasMessageNotContaining("secret");
    }

    @Test
    void aTypoInTheSchemeIsNotTakenForAFile() {
        assertThatThrownBy(() -> RegistryStore.open("postgressql://u@h/db")).isInstanceOf(RegistryException.class)
                .hasMessageContaining("neither a file nor a postgresql:// URL");
    }

    @Test
    void tellsUrlsFromFiles() {
        assertThat(ControlDatabase.isUrl("postgresql://h/db")).isTrue();
        assertThat(ControlDatabase.isUrl("postgres://h/db")).isTrue();
        assertThat(ControlDatabase.isUrl("registry.yaml")).isFalse();
        assertThat(ControlDatabase.isUrl("/etc/pgtenant/postgresql.yaml")).isFalse();
    }
}
