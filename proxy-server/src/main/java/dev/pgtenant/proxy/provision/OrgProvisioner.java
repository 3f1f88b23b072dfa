package dev.pgtenant.proxy.provision;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates an organization's backend pieces as a superuser: a login role that owns the database,
 * the database itself, and CONNECT revoked from PUBLIC, so that even a routing mistake could not
 * open another organization's database with this role.
 */
public final class OrgProvisioner {

    private final Connection superuser;

    public OrgProvisioner(Connection superuser) {
        this.superuser = superuser;
    }

    /** Creates or updates the role (with this password) and creates the database if missing. */
    public void provision(String database, String role, String password) throws SQLException {
        try (Statement statement = superuser.createStatement()) {
            String quotedRole = quoteIdentifier(role);
            String passwordClause = password == null ? "" : " PASSWORD " + quoteLiteral(password);
            if (exists("SELECT 1 FROM pg_roles WHERE rolname = ?", role)) {
                statement.execute("ALTER ROLE " + quotedRole + " LOGIN" + passwordClause);
            } else {
                statement.execute("CREATE ROLE " + quotedRole + " LOGIN" + passwordClause);
            }
            if (!exists("SELECT 1 FROM pg_database WHERE datname = ?", database)) {
                statement.execute("CREATE DATABASE " + quoteIdentifier(database) + " OWNER " + quotedRole);
            }
            statement.execute("REVOKE CONNECT ON DATABASE " + quoteIdentifier(database) + " FROM PUBLIC");
        }
    }

    private boolean exists(String sql, String name) throws SQLException {
        try (PreparedStatement query = superuser.prepareStatement(sql)) {
            query.setString(1, name);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    public static String quoteIdentifier(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    public static String quoteLiteral(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
