package dev.pgtenant.config.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pgtenant.config.ConfigException;
import dev.pgtenant.config.PoolMode;
import dev.pgtenant.protocol.auth.ScramVerifier;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The registry as plain entries, the shape every store keeps it in: the file store as YAML or JSON,
 * the PostgreSQL store as table rows. Converting to a {@link Registry} validates every entry.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
record RegistryDocument(List<RegistryDocument.OrganizationEntry> organizations, List<RegistryDocument.UserEntry> users,
                        List<RegistryDocument.SharedDatabaseEntry> sharedDatabases) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record OrganizationEntry(String id, String database, String backend, String backendUser, Secret backendPassword,
                             String poolMode) {
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record UserEntry(String name, String verifier, String org, List<String> orgs, List<String> databases, Boolean admin,
                     String poolMode) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SharedDatabaseEntry(String name, String database, String backend, String backendUser, Secret backendPassword) {
    }

    static Registry toRegistry(RegistryDocument document) {
        Map<String, Organization> organizations = new LinkedHashMap<>();
        for (OrganizationEntry entry : orEmpty(document.organizations())) {
            String id = Names.requireOrgId(entry.id());
            String database = entry.database() == null ? Names.defaultDatabase(id) : entry.database();
            BackendLogin login = login(entry.backend(), database, entry.backendUser(), entry.backendPassword());
            if (organizations.put(id, new Organization(id, login, poolMode(entry.poolMode(), "organization " + id))) != null) {
                throw new RegistryException("organization " + id + " is listed twice");
            }
        }
        Map<String, User> users = new LinkedHashMap<>();
        for (UserEntry entry : orEmpty(document.users())) {
            if (entry.verifier() == null) {
                throw new RegistryException("user " + entry.name() + " has no verifier");
            }
            ScramVerifier verifier;
            try {
                verifier = ScramVerifier.parse(entry.verifier());
            } catch (IllegalArgumentException e) {
                throw new RegistryException("user " + entry.name() + ": " + e.getMessage(), e);
            }
            User user = new User(entry.name(), verifier, entry.org(), names(entry.orgs(), "user " + entry.name() + "'s orgs"),
                    names(entry.databases(), "user " + entry.name() + "'s databases"), Boolean.TRUE.equals(entry.admin()),
                    poolMode(entry.poolMode(), "user " + entry.name()));
            if (users.put(user.name(), user) != null) {
                throw new RegistryException("user " + user.name() + " is listed twice");
            }
        }
        Map<String, SharedDatabase> shared = new LinkedHashMap<>();
        for (SharedDatabaseEntry entry : orEmpty(document.sharedDatabases())) {
            String database = entry.database() == null ? entry.name() : entry.database();
            SharedDatabase db = new SharedDatabase(entry.name(),
                    login(entry.backend(), database, entry.backendUser(), entry.backendPassword()));
            if (shared.put(db.name(), db) != null) {
                throw new RegistryException("shared database " + db.name() + " is listed twice");
            }
        }
        return new Registry(organizations, users, shared);
    }

    private static BackendLogin login(String backend, String database, String user, Secret password) {
        BackendAddress server = backend == null ? null : BackendAddress.parse(backend);
        return new BackendLogin(server, database, user == null ? database : user, password);
    }

    static RegistryDocument of(Registry registry) {
        return new RegistryDocument(registry.organizations().stream().map(RegistryDocument::entry).toList(),
                registry.users().stream().map(RegistryDocument::entry).toList(),
                registry.sharedDatabases().stream().map(RegistryDocument::entry).toList());
    }

    static OrganizationEntry entry(Organization org) {
        return new OrganizationEntry(org.id(), org.database(), address(org.backend()), org.backend().user(),
                org.backend().password(), modeName(org.poolMode()));
    }

    static UserEntry entry(User user) {
        return new UserEntry(user.name(), user.verifier().format(), user.org(), List.copyOf(user.orgs()),
                List.copyOf(user.databases()), user.admin() ? Boolean.TRUE : null, modeName(user.poolMode()));
    }

    static SharedDatabaseEntry entry(SharedDatabase db) {
        return new SharedDatabaseEntry(db.name(), db.backend().database(), address(db.backend()), db.backend().user(),
                db.backend().password());
    }

    private static PoolMode poolMode(String text, String owner) {
        try {
            return text == null ? null : PoolMode.parse(text, owner + " poolMode");
        } catch (ConfigException e) {
            throw new RegistryException(e.getMessage(), e);
        }
    }

    private static String modeName(PoolMode mode) {
        return mode == null ? null : mode.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String address(BackendLogin login) {
        return login.server() == null ? null : login.server().toString();
    }

    /** A list of names as a set: an entry listed twice counts once, a null entry is an error. */
    private static Set<String> names(List<String> list, String what) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : orEmpty(list)) {
            if (name == null) {
                throw new RegistryException(what + " hold a null entry");
            }
            names.add(name);
        }
        return Set.copyOf(names);
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
