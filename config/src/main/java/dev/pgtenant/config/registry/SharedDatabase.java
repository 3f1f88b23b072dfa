package dev.pgtenant.config.registry;

import java.util.Objects;

/** A database that is not an organization's (such as the application's main one), for users granted it. */
public record SharedDatabase(String name, BackendLogin backend) {

    public SharedDatabase {
        Names.requireDatabase(name);
        Objects.requireNonNull(backend, "backend");
    }
}
