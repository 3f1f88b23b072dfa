package dev.pgtenant.proxy.backend;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.Secret;
import java.util.Objects;

/**
 * One pool's worth of backend connections: a server, a database, and the role the proxy logs in as.
 * Equal targets share a pool. The password is resolved at each login, so a rotated secret applies
 * to new connections. Only the password may be null (a server that trusts the role).
 *
 * <p>{@link #equals} and {@link #hashCode} are written out: every login looks its pool up by target,
 * and the ones generated for records ran through method handles that the JIT left uninlined, about
 * 5% of a login's CPU under {@code pgbench -C}.
 */
public record BackendTarget(BackendAddress server, String database, String user, Secret password) {

    public BackendTarget {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
    }

    /** A name for logs and errors that shows no secret. */
    public String describe() {
        return database + " as " + user + " on " + server.host() + ":" + server.port();
    }

    @Override
    public boolean equals(Object other) {
        // The server and the secret are the registry's own objects, the same ones login after login.
        return other instanceof BackendTarget that
                && database.equals(that.database)
                && user.equals(that.user)
                && Objects.equals(server, that.server)
                && Objects.equals(password, that.password);
    }

    @Override
    public int hashCode() {
        int hash = server.host().hashCode();
        hash = 31 * hash + server.port();
        hash = 31 * hash + database.hashCode();
        return 31 * hash + user.hashCode();
    }
}
