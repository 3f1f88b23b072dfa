package dev.pgtenant.config.registry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * Where the registry is kept: a file ({@link RegistryFile}) for a single proxy, or tables in a
 * PostgreSQL control database ({@link PostgresRegistryStore}) shared by several. The proxy never reads
 * a store on the connection path; it watches it and swaps in-memory snapshots.
 */
public interface RegistryStore extends AutoCloseable {

    /** Opens {@code postgresql://...} (or {@code postgres://...}) as a control database, anything else as a file. */
    static RegistryStore open(String location) {
        if (ControlDatabase.isUrl(location)) {
            return PostgresRegistryStore.open(ControlDatabase.parse(location));
        }
        if (ControlDatabase.isOtherUrl(location)) {
            throw new RegistryException("registry " + location.substring(0, location.indexOf("://") + 3)
                    + "... is neither a file nor a postgresql:// URL");
        }
        return new RegistryFile(Path.of(location));
    }

    /** The registry as stored now. */
    Registry load();

    /**
     * Applies {@code change} to the current registry and stores the result, atomically with respect to
     * every other writer, so concurrent CLI runs never lose an update.
     */
    Registry update(UnaryOperator<Registry> change);

    /** Stores {@code registry} in place of whatever the store holds. */
    default void replace(Registry registry) {
        update(current -> registry);
    }

    /**
     * Loads the registry now (failing if it cannot) and keeps the returned snapshot current from then
     * on; {@code onChange} hears of every change with the previous and the new snapshot.
     */
    RegistryWatcher watch(Duration interval, BiConsumer<Registry, Registry> onChange);

    /**
     * Whether several proxies may share this store, so that no entry may rely on a proxy's own
     * embedded backend.
     */
    default boolean shared() {
        return false;
    }

    /** Where the store is, for messages (never with a password). */
    String location();

    @Override
    default void close() {
    }
}
