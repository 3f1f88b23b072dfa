package dev.pgtenant.config.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.pgtenant.config.ConfigException;
import dev.pgtenant.config.PoolMode;
import dev.pgtenant.protocol.auth.ScramVerifier;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * The registry as a human-readable file: YAML, or JSON when the name ends in {@code .json}. Writes
 * go to a temporary file that replaces the old one in one rename, and read-modify-write runs under
 * an exclusive lock, so concurrent CLI runs never lose an update and a reader never sees half a file.
 */
public final class RegistryFile {

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    record Document(List<OrganizationEntry> organizations, List<UserEntry> users,
                    List<SharedDatabaseEntry> sharedDatabases) {
    }

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

    private static final String HEADER = """
            # pgtenant tenant registry. Users are stored as SCRAM-SHA-256 verifiers, never passwords.
            # Format: docs/registry.md. Edit with the pgtenant CLI, or by hand while no CLI write runs.
            """;

    private static final Map<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

    private final Path path;
    private final ObjectMapper mapper;

    public RegistryFile(Path path) {
        this.path = path;
        this.mapper = path.getFileName().toString().endsWith(".json") ? new ObjectMapper()
                : new ObjectMapper(YAMLFactory.builder()
                        .loaderOptions(largeDocuments())
                        .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                        .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                        .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
                        .build());
        mapper.enable(SerializationFeature.INDENT_OUTPUT);
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    public Path path() {
        return path;
    }

    /** SnakeYAML refuses documents over 3 MB by default; a registry of 100,000 users is larger. */
    private static org.yaml.snakeyaml.LoaderOptions largeDocuments() {
        org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
        options.setCodePointLimit(1024 * 1024 * 1024);
        return options;
    }

    /** Reads the registry; a missing file is an empty registry. */
    public Registry load() {
        try {
            return toRegistry(mapper.readValue(Files.readAllBytes(path), Document.class));
        } catch (RegistryException e) {
            throw new RegistryException("registry file " + path + ": " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            return Registry.EMPTY;
        } catch (JsonProcessingException e) {
            throw new RegistryException("registry file " + path + " is not valid: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        } catch (IOException e) {
            throw new RegistryException("cannot read registry file " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code registry} over whatever the file holds (which is not read), under the same lock. */
    public void replace(Registry registry) {
        withLock(() -> {
            write(registry);
            return registry;
        });
    }

    /** Applies {@code change} to the current registry under an exclusive lock and writes the result. */
    public Registry update(UnaryOperator<Registry> change) {
        return withLock(() -> {
            Registry changed = change.apply(load());
            write(changed);
            return changed;
        });
    }

    private interface LockedWork {
        Registry run() throws IOException;
    }

    private Registry withLock(LockedWork work) {
        Path absolute = path.toAbsolutePath().normalize();
        // A file lock guards against other processes only; threads of this one queue on a lock per file.
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(absolute, p -> new ReentrantLock());
        local.lock();
        try (FileChannel lockChannel = FileChannel.open(absolute.resolveSibling(absolute.getFileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockChannel.lock()) {
            return work.run();
        } catch (IOException e) {
            throw new RegistryException("cannot update registry file " + path + ": " + e.getMessage(), e);
        } finally {
            local.unlock();
        }
    }

    private void write(Registry registry) throws IOException {
        Path absolute = path.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        Path temporary = Files.createTempFile(absolute.getParent(), absolute.getFileName().toString(), ".tmp");
        try {
            String text = mapper.writeValueAsString(toDocument(registry));
            Files.writeString(temporary, mapper.getFactory() instanceof YAMLFactory ? HEADER + text : text);
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static Registry toRegistry(Document document) {
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
            User user = new User(entry.name(), verifier, entry.org(), Set.copyOf(orEmpty(entry.orgs())),
                    Set.copyOf(orEmpty(entry.databases())), Boolean.TRUE.equals(entry.admin()),
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

    private static Document toDocument(Registry registry) {
        List<OrganizationEntry> organizations = registry.organizations().stream()
                .map(org -> new OrganizationEntry(org.id(), org.database(), address(org.backend()),
                        org.backend().user(), org.backend().password(), modeName(org.poolMode())))
                .toList();
        List<UserEntry> users = registry.users().stream()
                .map(user -> new UserEntry(user.name(), user.verifier().format(), user.org(),
                        List.copyOf(user.orgs()), List.copyOf(user.databases()), user.admin() ? Boolean.TRUE : null,
                        modeName(user.poolMode())))
                .toList();
        List<SharedDatabaseEntry> shared = registry.sharedDatabases().stream()
                .map(db -> new SharedDatabaseEntry(db.name(), db.backend().database(), address(db.backend()),
                        db.backend().user(), db.backend().password()))
                .toList();
        return new Document(organizations, users, shared);
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

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }
}
