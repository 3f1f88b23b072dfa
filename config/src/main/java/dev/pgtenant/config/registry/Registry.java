package dev.pgtenant.config.registry;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An immutable snapshot of the tenant registry with the indexes the connection path needs. Every
 * lookup is a map read, so authentication and routing never wait on storage. Changes make a new
 * snapshot.
 */
public final class Registry {

    public static final Registry EMPTY = new Registry(Map.of(), Map.of(), Map.of());

    private final Map<String, Organization> organizations;
    private final Map<String, User> users;
    private final Map<String, SharedDatabase> sharedDatabases;
    private final Map<String, Organization> organizationsByDatabase;

    public Registry(Map<String, Organization> organizations, Map<String, User> users,
                    Map<String, SharedDatabase> sharedDatabases) {
        this.organizations = sortedForListingHashedForLookup(organizations);
        this.users = sortedForListingHashedForLookup(users);
        this.sharedDatabases = sortedForListingHashedForLookup(sharedDatabases);
        Map<String, Organization> byDatabase = new HashMap<>();
        for (Organization org : this.organizations.values()) {
            Organization clash = byDatabase.put(org.database(), org);
            if (clash != null) {
                throw new RegistryException("organizations " + clash.id() + " and " + org.id()
                        + " both use database " + org.database());
            }
        }
        for (SharedDatabase shared : this.sharedDatabases.values()) {
            if (byDatabase.containsKey(shared.name())) {
                throw new RegistryException("shared database " + shared.name() + " has the name of organization "
                        + byDatabase.get(shared.name()).id() + "'s database");
            }
            // Organizations' database names are unique, so the one that could be the same database is
            // the one of that name; granting it would open that organization's data to other tenants.
            // Whatever the server: one server goes by several names (localhost, 127.0.0.1, a DNS
            // alias), and a replica holds the same data under the same name.
            Organization sameName = byDatabase.get(shared.backend().database());
            if (sameName != null) {
                throw new RegistryException("shared database " + shared.name() + " is database " + sameName.database()
                        + " on " + where(shared.backend()) + ", the name of organization " + sameName.id() + "'s database on "
                        + where(sameName.backend()) + ": point it at a database no organization uses, under another name");
            }
        }
        this.organizationsByDatabase = byDatabase;
    }

    private static String where(BackendLogin login) {
        return login.embedded() ? "the embedded backend" : login.server().toString();
    }

    /**
     * A map that lists in key order (stable files and listings) and looks up by hash: a tree would
     * make every login pay about twenty string comparisons at 100,000 users.
     */
    private static <V> Map<String, V> sortedForListingHashedForLookup(Map<String, V> entries) {
        Map<String, V> map = new java.util.LinkedHashMap<>(Math.max(16, entries.size() * 4 / 3 + 1));
        new TreeMap<>(entries).forEach(map::put);
        return Collections.unmodifiableMap(map);
    }

    public Optional<Organization> organization(String id) {
        return Optional.ofNullable(organizations.get(id));
    }

    public Optional<Organization> organizationByDatabase(String database) {
        return Optional.ofNullable(organizationsByDatabase.get(database));
    }

    public Optional<User> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    public Optional<SharedDatabase> sharedDatabase(String name) {
        return Optional.ofNullable(sharedDatabases.get(name));
    }

    public Collection<Organization> organizations() {
        return organizations.values();
    }

    public Collection<User> users() {
        return users.values();
    }

    public Collection<SharedDatabase> sharedDatabases() {
        return sharedDatabases.values();
    }

    /**
     * The users whose home is organization {@code id} or who are granted it. Where no such organization
     * exists they are left from an earlier one of that id (deleted before deleting took its users with
     * it, or edited by hand), and would reach a new organization that took the id.
     */
    public List<User> usersNaming(String id) {
        return users.values().stream().filter(user -> id.equals(user.org()) || user.orgs().contains(id)).toList();
    }

    public Registry withOrganization(Organization org) {
        Map<String, Organization> changed = new TreeMap<>(organizations);
        changed.put(org.id(), org);
        return new Registry(changed, users, sharedDatabases);
    }

    /**
     * This registry without the organization, the users whose home it is and every grant of it: left
     * behind, they would belong to whichever organization next took the id.
     */
    public Registry withoutOrganization(String id) {
        Map<String, Organization> changed = new TreeMap<>(organizations);
        if (changed.remove(id) == null) {
            throw new RegistryException("organization " + id + " does not exist");
        }
        Map<String, User> remaining = new HashMap<>(users.size() * 4 / 3 + 1);
        for (User user : users.values()) {
            if (id.equals(user.org())) {
                continue;
            }
            if (user.orgs().contains(id)) {
                Set<String> orgs = new TreeSet<>(user.orgs());
                orgs.remove(id);
                user = user.withGrants(orgs, user.databases());
            }
            remaining.put(user.name(), user);
        }
        return new Registry(changed, remaining, sharedDatabases);
    }

    public Registry withUser(User user) {
        Map<String, User> changed = new TreeMap<>(users);
        changed.put(user.name(), user);
        return new Registry(organizations, changed, sharedDatabases);
    }

    public Registry withoutUser(String name) {
        Map<String, User> changed = new TreeMap<>(users);
        if (changed.remove(name) == null) {
            throw new RegistryException("user " + name + " does not exist");
        }
        return new Registry(organizations, changed, sharedDatabases);
    }

    /**
     * This registry with a batch of changes applied at once: the entries named in {@code removed}
     * go, then every entry of {@code upserts} is added or replaces the one of the same key.
     */
    public Registry changedBy(Registry upserts, Removals removed) {
        Map<String, Organization> orgs = new HashMap<>(organizations);
        orgs.keySet().removeAll(removed.organizations());
        upserts.organizations().forEach(org -> orgs.put(org.id(), org));
        Map<String, User> changedUsers = new HashMap<>(users);
        changedUsers.keySet().removeAll(removed.users());
        upserts.users().forEach(user -> changedUsers.put(user.name(), user));
        Map<String, SharedDatabase> shared = new HashMap<>(sharedDatabases);
        shared.keySet().removeAll(removed.sharedDatabases());
        upserts.sharedDatabases().forEach(db -> shared.put(db.name(), db));
        return new Registry(orgs, changedUsers, shared);
    }

    /** Keys of entries a change removed. */
    public record Removals(java.util.Set<String> organizations, java.util.Set<String> users,
                           java.util.Set<String> sharedDatabases) {
        public static final Removals NONE = new Removals(java.util.Set.of(), java.util.Set.of(), java.util.Set.of());
    }

    public Registry withSharedDatabase(SharedDatabase shared) {
        Map<String, SharedDatabase> changed = new TreeMap<>(sharedDatabases);
        changed.put(shared.name(), shared);
        return new Registry(organizations, users, changed);
    }

    public Registry withoutSharedDatabase(String name) {
        Map<String, SharedDatabase> changed = new TreeMap<>(sharedDatabases);
        if (changed.remove(name) == null) {
            throw new RegistryException("shared database " + name + " does not exist");
        }
        return new Registry(organizations, users, changed);
    }
}
