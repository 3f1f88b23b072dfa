package dev.pgtenant.config.registry;

import java.util.function.Supplier;

/**
 * The current in-memory snapshot of a watched registry store. A change that cannot be loaded leaves
 * the last good snapshot in place.
 */
public interface RegistryWatcher extends Supplier<Registry>, AutoCloseable {

    /** Changes of the store that could not be loaded, since the watch began. */
    int failedReloads();

    @Override
    void close();
}
