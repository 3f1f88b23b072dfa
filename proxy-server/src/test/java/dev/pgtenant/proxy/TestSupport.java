package dev.pgtenant.proxy;

import dev.pgtenant.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;

/** Direct access to the test server, for setting up what a test needs. */
final class TestSupport {

    private TestSupport() {
    }

    static Connection superuser(String database) throws SQLException {
        return TestPostgres.get().connect(database);
    }
}
