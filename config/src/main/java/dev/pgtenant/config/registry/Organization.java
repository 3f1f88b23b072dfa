package dev.pgtenant.config.registry;

import dev.pgtenant.config.PoolMode;
import java.util.Objects;

/**
 * A tenant and the backend database that holds its data. {@code poolMode}, when set, overrides the
 * configured pool mode for this organization's clients.
 */
public record Organization(String id, BackendLogin backend, PoolMode poolMode) {

    public Organization {
        Names.requireOrgId(id);
        Objects.requireNonNull(backend, "backend");
    }

    public Organization(String id, BackendLogin backend) {
        this(id, backend, null);
    }

    public String database() {
        return backend.database();
    }
}
