package dev.pgtenant.proxy.migrate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Brings one organization database up to date: records applied versions and checksums in
 * {@value #HISTORY} inside that database, applies each missing file in its own transaction, and stops
 * at the first failure, so a rerun continues from there. An applied file whose text changed is an
 * error: its checksum no longer matches. So is a new file older than the newest applied one: every
 * database applies the files in version order.
 */
public final class OrgMigrator {

    static final String HISTORY = "pgtenant_schema_history";

    /** The outcome for one organization. */
    public record Result(String org, int applied, int pending, String error) {
        public boolean failed() {
            return error != null;
        }
    }

    private OrgMigrator() {
    }

    public static Result migrate(String org, Connection connection, List<Migration> migrations, boolean dryRun) {
        int applied = 0;
        try {
            connection.setAutoCommit(true);
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE IF NOT EXISTS " + HISTORY + " (version integer PRIMARY KEY, "
                        + "description text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), "
                        + "execution_ms integer NOT NULL)");
            }
            Map<Integer, String> done = appliedChecksums(connection);
            List<Migration> pending = migrations.stream().filter(m -> !done.containsKey(m.version())).toList();
            for (Migration migration : migrations) {
                String checksum = done.get(migration.version());
                if (checksum != null && !checksum.equals(migration.checksum())) {
                    return new Result(org, 0, pending.size(), "V" + migration.version()
                            + " was applied with another checksum: its file changed after it ran");
                }
            }
            int newestApplied = done.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
            for (Migration migration : pending) {
                if (migration.version() < newestApplied) {
                    // Run now, it would run after V<newest> here but before it in every database created later.
                    return new Result(org, 0, pending.size(), "V" + migration.version() + " is older than V" + newestApplied
                            + ", which is applied already: migrations run in version order, so give it a version above "
                            + newestApplied);
                }
            }
            if (dryRun) {
                return new Result(org, 0, pending.size(), null);
            }
            for (Migration migration : pending) {
                apply(connection, migration);
                applied++;
            }
            return new Result(org, applied, 0, null);
        } catch (SQLException e) {
            return new Result(org, applied, -1, e.getMessage() + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"));
        }
    }

    private static void apply(Connection connection, Migration migration) throws SQLException {
        long started = System.nanoTime();
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement();
             PreparedStatement record = connection.prepareStatement("INSERT INTO " + HISTORY
                     + " (version, description, checksum, execution_ms) VALUES (?, ?, ?, ?)")) {
            statement.execute(migration.sql());
            record.setInt(1, migration.version());
            record.setString(2, migration.description());
            record.setString(3, migration.checksum());
            record.setInt(4, (int) ((System.nanoTime() - started) / 1_000_000));
            record.executeUpdate();
            connection.commit();
        } catch (SQLException e) {
            SQLException failed = new SQLException("V" + migration.version() + " failed: " + e.getMessage(), e.getSQLState(), e);
            try {
                connection.rollback();
            } catch (SQLException lost) {
                // The connection broke: the reason the migration failed is still the one to report.
                failed.addSuppressed(lost);
            }
            throw failed;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private static Map<Integer, String> appliedChecksums(Connection connection) throws SQLException {
        Map<Integer, String> applied = new HashMap<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT version, checksum FROM " + HISTORY)) {
            while (rows.next()) {
                applied.put(rows.getInt(1), rows.getString(2));
            }
        }
        return applied;
    }
}
