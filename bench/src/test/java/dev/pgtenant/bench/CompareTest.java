package dev.pgtenant.bench;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Mistakes on the command line are told before PostgreSQL is started and filled. */
class CompareTest {

    @Test
    void anOptionWithoutItsValueIsNamed() {
        assertThatThrownBy(() -> Compare.main(new String[] {"--mode", "short", "--out"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("--out needs a value");
    }

    @Test
    void aPgbouncerPathThatIsNotAnExecutableIsRefused() {
        assertThatThrownBy(() -> Compare.main(new String[] {"--pgbouncer", "/nonexistent/pgbouncer"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--pgbouncer \"/nonexistent/pgbouncer\" is not an executable file");
    }
}
