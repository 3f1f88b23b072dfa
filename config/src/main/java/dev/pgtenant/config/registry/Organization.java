package dev.pgtenant.config.registry;

import java.util.Objects;

/** A tenant and the backend database that holds its data. */
public record Organization(String id, BackendLogin backend) {

    public Organization {
        Names.requireOrgId(id);
        Objects.requireNonNull(backend, "backend");
    }

    public String database() {
        return backend.database();
    }
}
