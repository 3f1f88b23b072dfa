package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.config.PoolSettings;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A backend keeps at most pool.maxPreparedStatements statements; evicted ones come back when needed. */
class StatementEvictionTest {

    @Test
    void statementsBeyondTheLimitAreEvictedAndReprepared() throws SQLException {
        PoolSettings settings = new PoolSettings("transaction", 1, 0, null, null, null, null, null, null, 3, null, null);
        try (ProxyFixture proxy = ProxyFixture.start(settings, "a"); Connection connection = proxy.connect("a")) {
            List<PreparedStatement> statements = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                PreparedStatement statement = connection.prepareStatement("SELECT ?::int + " + i);
                statement.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(1);
                statements.add(statement);
            }
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < statements.size(); i++) {
                    statements.get(i).setInt(1, round);
                    try (ResultSet rows = statements.get(i).executeQuery()) {
                        assertThat(rows.next()).isTrue();
                        assertThat(rows.getInt(1)).isEqualTo(round + i);
                    }
                }
            }
            try (Statement check = connection.createStatement()) {
                assertThat(Integer.parseInt(SessionResetTest.single(check, "SELECT count(*) FROM pg_prepared_statements")))
                        .isLessThanOrEqualTo(3);
            }
            assertThat(proxy.server().statementCounters().evictions()).isPositive();
            for (PreparedStatement statement : statements) {
                statement.close();
            }
        }
    }
}
