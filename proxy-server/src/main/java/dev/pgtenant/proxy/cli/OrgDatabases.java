package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.RegistryException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;

/** What commands that work on organization databases share: choosing the organizations, logging in. */
final class OrgDatabases {

    private OrgDatabases() {
    }

    /** One organization by id ({@code null}: all of them). */
    static List<Organization> select(Registry registry, String id) {
        return id == null ? List.copyOf(registry.organizations())
                : List.of(registry.organization(id)
                        .orElseThrow(() -> new RegistryException("organization " + id + " does not exist")));
    }

    /**
     * Logs in to the organization's database on {@code server} as its own backend role, directly (not
     * through a proxy). Throws RegistryException when its password cannot be read.
     */
    static Connection open(BackendAddress server, BackendLogin login) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", login.user());
        if (login.password() != null) {
            properties.setProperty("password", login.password().resolve());
        }
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(server.jdbcUrl(login.database()), properties);
    }
}
