package dev.pgtenant.proxy.backend;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.Secret;

/**
 * One pool's worth of backend connections: a server, a database, and the role the proxy logs in as.
 * Equal targets share a pool. The password is resolved at each login, so a rotated secret applies
 * to new connections.
 */
public record BackendTarget(BackendAddress server, String database, String user, Secret password) {

    /** A name for logs and errors that shows no secret. */
    public String describe() {
        return database + " as " + user + " on " + server.host() + ":" + server.port();
    }
}
