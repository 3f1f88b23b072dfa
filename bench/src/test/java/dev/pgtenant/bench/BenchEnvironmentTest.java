package dev.pgtenant.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class BenchEnvironmentTest {

    @Test
    void pgbouncerKeepsPreparedStatementsFromVersion121On() {
        assertEquals("max_prepared_statements = 200", BenchEnvironment.preparedStatementSetting("PgBouncer 1.24.1"));
        assertEquals("max_prepared_statements = 200", BenchEnvironment.preparedStatementSetting("PgBouncer 1.21.0"));
        assertEquals("max_prepared_statements = 200", BenchEnvironment.preparedStatementSetting("PgBouncer 2.0.0"));
        assertEquals("", BenchEnvironment.preparedStatementSetting("PgBouncer 1.18.0"));
        assertEquals("", BenchEnvironment.preparedStatementSetting("PgBouncer 1.9.0"));
        assertEquals("", BenchEnvironment.preparedStatementSetting("pgbouncer not found"));
    }
}
