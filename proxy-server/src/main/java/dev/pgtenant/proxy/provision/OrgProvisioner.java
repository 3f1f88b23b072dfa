package dev.pgtenant.proxy.provision;

import dev.pgtenant.config.registry.RegistryException;
import dev.pgtenant.protocol.auth.ScramVerifier;
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

    /**
     * Creates or updates the role (with this password) and creates the database if missing. The
     * password goes to the server as its SCRAM verifier: the statement may be logged (a failed one is,
     * by default), and the password itself must not be. An existing role with powers beyond logging in
     * is refused: it would open more than the organization's own database to its sessions.
     */
    public void provision(String database, String role, String password) throws SQLException {
        try (Statement statement = superuser.createStatement()) {
            String quotedRole = quoteIdentifier(role);
            String passwordClause = password == null ? "" : " PASSWORD " + quoteLiteral(ScramVerifier.fromPassword(password).format());
            if (exists("SELECT 1 FROM pg_roles WHERE rolname = ?", role)) {
                refusePowerfulRole(role);
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

    private void refusePowerfulRole(String role) throws SQLException {
        try (PreparedStatement query = superuser.prepareStatement("SELECT rolsuper, rolcreaterole, rolcreatedb,"
                + " rolreplication, rolbypassrls FROM pg_roles WHERE rolname = ?")) {
            query.setString(1, role);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                String[] powers = {"SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS"};
                for (int i = 0; i < powers.length; i++) {
                    if (rows.getBoolean(i + 1)) {
                        throw new RegistryException("role " + role + " exists and has " + powers[i]
                                + "; an organization's backend role must be an ordinary login role: choose another"
                                + " with --backend-user");
                    }
                }
            }
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
