package dev.pgtenant.proxy.routing;

import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.SharedDatabase;

/** Where an authenticated client goes: an organization's database, a shared database, or nowhere. */
public sealed interface RoutingDecision {

    /** The client's traffic goes to this organization's database. */
    record ToOrganization(Organization organization) implements RoutingDecision {
    }

    /** The client's traffic goes to this shared database. */
    record ToSharedDatabase(SharedDatabase database) implements RoutingDecision {
    }

    /** The client may not have the database it asked for; the message never says whether it exists. */
    record Refused(String message) implements RoutingDecision {
    }
}
