package dev.pgtenant.config.registry;

/**
 * The registry store could not be read or written: its database is unreachable, refused the login,
 * or failed a statement. Unlike {@link RegistryException}, the registry itself may be fine.
 */
public final class RegistryStoreException extends RuntimeException {

    public RegistryStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
