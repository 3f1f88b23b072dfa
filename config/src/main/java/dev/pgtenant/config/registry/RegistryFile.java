package dev.pgtenant.config.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.pgtenant.config.JsonProblems;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * The registry as a human-readable file: YAML, or JSON when the name ends in {@code .json}. Writes
 * go to a temporary file that replaces the old one in one rename, and read-modify-write runs under
 * an exclusive lock, so concurrent CLI runs never lose an update and a reader never sees half a file.
 */
public final class RegistryFile implements RegistryStore {

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

    @Override
    public RegistryWatcher watch(Duration interval, BiConsumer<Registry, Registry> onChange) {
        return new RegistryFileWatcher(this, interval, onChange);
    }

    @Override
    public String location() {
        return path.toString();
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
    @Override
    public Registry load() {
        try {
            return RegistryDocument.toRegistry(mapper.readValue(Files.readAllBytes(path), RegistryDocument.class));
        } catch (RegistryException e) {
            throw new RegistryException("registry file " + path + ": " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            return Registry.EMPTY;
        } catch (JsonProcessingException e) {
            throw new RegistryException("registry file " + path + " is not valid: " + JsonProblems.describe(e),
                    JsonProblems.cause(e));
        } catch (IOException e) {
            throw new RegistryException("cannot read registry file " + path + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code registry} over whatever the file holds (which is not read), under the same lock. */
    @Override
    public void replace(Registry registry) {
        withLock(() -> {
            write(registry);
            return registry;
        });
    }

    /** Applies {@code change} to the current registry under an exclusive lock and writes the result. */
    @Override
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
            String text = mapper.writeValueAsString(RegistryDocument.of(registry));
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap((mapper.getFactory() instanceof YAMLFactory ? HEADER + text : text)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                // On disk before the rename: after a crash the path holds the old registry or the new one, never an empty file.
                channel.force(true);
            }
            keepPermissions(absolute, temporary);
            try {
                Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * The new file gets the mode, and where the CLI's user may set them the group and owner, of the
     * one it replaces: a temporary file is its creator's alone, and a proxy running as another user
     * would lose the registry at the CLI's first write. A registry created by the CLI stays owner-only
     * until its mode is changed once.
     */
    private static void keepPermissions(Path replaced, Path replacement) throws IOException {
        if (!Files.exists(replaced) || !replaced.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        java.nio.file.attribute.PosixFileAttributes old = Files.readAttributes(replaced, java.nio.file.attribute.PosixFileAttributes.class);
        try {
            Files.setAttribute(replacement, "posix:group", old.group());
            Files.setOwner(replacement, old.owner());
        } catch (IOException | SecurityException notAllowed) {
            // Only root may give a file away, and only a member may give it its group: the mode still holds.
        }
        Files.setPosixFilePermissions(replacement, old.permissions());
    }
}
