package dev.pgtenant.config.registry;

/**
 * Where and as whom the proxy logs in for an organization or shared database: the server, the
 * database and the role. {@code server} is {@code null} for the embedded backend; {@code password}
 * is {@code null} when the server trusts the role.
 */
public record BackendLogin(BackendAddress server, String database, String user, Secret password) {

    public BackendLogin {
        Names.requireDatabase(database);
        Names.requireRole(user, "backend user");
    }

    public boolean embedded() {
        return server == null;
    }
}
