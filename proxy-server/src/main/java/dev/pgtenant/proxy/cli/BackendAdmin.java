package dev.pgtenant.proxy.cli;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.RegistryException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How a command that creates or drops databases logs in to the backend as an administrator. */
final class BackendAdmin {

    @Option(names = "--admin-user", paramLabel = "ROLE", defaultValue = "postgres",
            description = "Backend role allowed to create roles and databases (default: ${DEFAULT-VALUE}); "
                    + "its password comes from $PGTENANT_ADMIN_PASSWORD when the backend asks for one.")
    String user;

    @Mixin
    EmbeddedLocation embedded;

    /** An administrator's connection to {@code server}, or to the running embedded backend when it is {@code null}. */
    Connection connect(BackendAddress backend) {
        BackendAddress server = embedded.resolve(backend);
        Properties properties = new Properties();
        properties.setProperty("user", user);
        String password = System.getenv("PGTENANT_ADMIN_PASSWORD");
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.setProperty("connectTimeout", "10");
        try {
            return DriverManager.getConnection(server.jdbcUrl("postgres"), properties);
        } catch (SQLException e) {
            throw new RegistryException("cannot log in to " + server + " as " + user + ": " + e.getMessage(), e);
        }
    }
}
