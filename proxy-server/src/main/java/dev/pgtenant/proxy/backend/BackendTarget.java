package dev.pgtenant.proxy.backend;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.Secret;
import java.util.Objects;

/**
 * One pool's worth of backend connections: a server, a database, the role the proxy logs in as and,
 * for a shared database, the organization whose clients alone the connections serve. Equal targets
 * share a pool. The password is resolved at each login, so a rotated secret applies to new
 * connections. Only the password may be null (a server that trusts the role), and the organization
 * is null for an organization's own database, which only its clients reach anyway.
 *
 * <p>A shared database's connections are pooled per organization because a transaction-mode client
 * can leave session state behind that the proxy cannot see (a temporary table created in a DO
 * block, a setting changed by a function): the next client of that connection inherits it, and
 * it must never be another organization's.
 *
 * <p>{@link #equals} and {@link #hashCode} are written out: every login looks its pool up by target,
 * and the ones generated for records ran through method handles that the JIT left uninlined, about
 * 5% of a login's CPU under {@code pgbench -C}.
 */
public record BackendTarget(BackendAddress server, String database, String user, Secret password, String organization) {

    public BackendTarget {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
    }

    /** A target whose connections any client of the database may use. */
    public BackendTarget(BackendAddress server, String database, String user, Secret password) {
        this(server, database, user, password, null);
    }

    /** The same database, role and server, with connections that serve only this organization's clients. */
    public BackendTarget forOrganization(String id) {
        return new BackendTarget(server, database, user, password, id);
    }

    /** The same database, role and server, whoever's clients the connections serve. */
    public BackendTarget withoutOrganization() {
        return organization == null ? this : new BackendTarget(server, database, user, password);
    }

    /** A name for logs and errors that shows no secret. */
    public String describe() {
        return database + " as " + user + " on " + server.host() + ":" + server.port()
                + (organization == null ? "" : " for organization " + organization);
    }

    @Override
    public boolean equals(Object other) {
        // The server and the secret are the registry's own objects, the same ones login after login.
        return other instanceof BackendTarget that
                && database.equals(that.database)
                && user.equals(that.user)
                && Objects.equals(server, that.server)
                && Objects.equals(password, that.password)
                && Objects.equals(organization, that.organization);
    }

    @Override
    public int hashCode() {
        int hash = server.host().hashCode();
        hash = 31 * hash + server.port();
        hash = 31 * hash + database.hashCode();
        hash = 31 * hash + user.hashCode();
        return organization == null ? hash : 31 * hash + organization.hashCode();
    }
}
