package dev.pgtenant.proxy.routing;

import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.SharedDatabase;
import dev.pgtenant.config.registry.User;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The routing rules (docs/routing.md), for a user who has authenticated and asked for a database:
 * <ol>
 * <li>a shared database the user is granted: that database;</li>
 * <li>the database of an organization the user may access (home or granted): that organization;</li>
 * <li>empty, the user's own name, or a configured alias such as {@code app}: the home organization;</li>
 * <li>anything else (another organization's database, a shared database not granted, a name that
 *     exists nowhere): refused with 42501 and the same message, so a client learns nothing about
 *     which databases exist.</li>
 * </ol>
 */
public final class Router {

    private final Set<String> aliases;

    public Router(List<String> aliases) {
        this.aliases = Set.copyOf(aliases);
    }

    public RoutingDecision route(Registry registry, User user, String database) {
        String asked = database == null ? "" : database;
        Optional<SharedDatabase> shared = registry.sharedDatabase(asked);
        if (shared.isPresent()) {
            return user.databases().contains(asked) ? new RoutingDecision.ToSharedDatabase(shared.get()) : refuse(asked);
        }
        Optional<Organization> byDatabase = registry.organizationByDatabase(asked);
        if (byDatabase.isPresent()) {
            return user.mayAccessOrg(byDatabase.get().id())
                    ? new RoutingDecision.ToOrganization(byDatabase.get()) : refuse(asked);
        }
        if (!asked.isEmpty() && !asked.equals(user.name()) && !aliases.contains(asked)) {
            return refuse(asked);
        }
        Optional<Organization> home = user.org() == null ? Optional.empty() : registry.organization(user.org());
        if (home.isEmpty()) {
            return refuse(asked);
        }
        return new RoutingDecision.ToOrganization(home.get());
    }

    /** The configured alias equal to {@code name}, or {@code name} when it is none. */
    public String alias(String name) {
        for (String alias : aliases) {
            if (alias.equals(name)) {
                return alias;
            }
        }
        return name;
    }

    private static RoutingDecision refuse(String database) {
        return new RoutingDecision.Refused("permission denied for database \"" + database + "\"");
    }
}
