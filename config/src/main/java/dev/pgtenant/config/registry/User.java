package dev.pgtenant.config.registry;

import dev.pgtenant.config.PoolMode;
import dev.pgtenant.protocol.auth.ScramVerifier;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.Collections;

/**
 * A login known to the proxy: a SCRAM verifier (never a password), a home organization, and the
 * extra organizations and shared databases it is granted. {@code poolMode}, when set, overrides the
 * organization's and the configured pool mode for this user.
 */
public record User(String name, ScramVerifier verifier, String org, Set<String> orgs, Set<String> databases,
                   boolean admin, PoolMode poolMode) {

    public User(String name, ScramVerifier verifier, String org, Set<String> orgs, Set<String> databases, boolean admin) {
        this(name, verifier, org, orgs, databases, admin, null);
    }

    public User {
        Names.requireUser(name);
        Objects.requireNonNull(verifier, "verifier");
        if (org != null) {
            Names.requireOrgId(org);
        }
        orgs = Collections.unmodifiableSet(new TreeSet<>(orgs));
        databases = Collections.unmodifiableSet(new TreeSet<>(databases));
    }

    /** This user with other grants of organizations and shared databases. */
    public User withGrants(Set<String> grantedOrgs, Set<String> grantedDatabases) {
        return new User(name, verifier, org, grantedOrgs, grantedDatabases, admin, poolMode);
    }

    /** Whether this user may reach the organization: its home or a granted one. */
    public boolean mayAccessOrg(String orgId) {
        return orgId.equals(org) || orgs.contains(orgId);
    }
}
