package dev.pgtenant.config.registry;

/** The registry is invalid, or a change to it is not allowed; the message says what to fix. */
public class RegistryException extends RuntimeException {

    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
