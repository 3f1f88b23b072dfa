package dev.pgtenant.protocol.auth;

import java.util.Arrays;

/**
 * What a SCRAM client proves itself with: a password, or the ClientKey and ServerKey themselves
 * (recovered from a client's own SCRAM login, so the proxy can log in to a backend that holds the
 * same verifier without ever knowing the password).
 */
public abstract sealed class ScramCredentials {

    /** ClientKey and ServerKey for a given salt and iteration count. */
    record Keys(byte[] clientKey, byte[] serverKey) {
    }

    abstract Keys keysFor(byte[] salt, int iterations);

    public static ScramCredentials password(String password) {
        return new Password(password);
    }

    public static ScramCredentials keys(byte[] clientKey, byte[] serverKey) {
        if (clientKey.length != ScramFunctions.KEY_LENGTH || serverKey.length != ScramFunctions.KEY_LENGTH) {
            throw new IllegalArgumentException("SCRAM-SHA-256 keys have 32 bytes");
        }
        return new FixedKeys(new Keys(clientKey.clone(), serverKey.clone()));
    }

    /**
     * Remembers the keys of the last salt and iteration count, so logging in again to the same
     * server costs no PBKDF2: a backend keeps its salt until the role's password changes.
     */
    private static final class Password extends ScramCredentials {
        private final String password;
        private byte[] salt;
        private int iterations;
        private Keys keys;

        Password(String password) {
            this.password = password;
        }

        @Override
        synchronized Keys keysFor(byte[] salt, int iterations) {
            if (keys == null || iterations != this.iterations || !Arrays.equals(salt, this.salt)) {
                byte[] salted = ScramFunctions.saltedPassword(password, salt, iterations);
                this.keys = new Keys(ScramFunctions.clientKey(salted), ScramFunctions.serverKey(salted));
                this.salt = salt.clone();
                this.iterations = iterations;
            }
            return keys;
        }
    }

    private static final class FixedKeys extends ScramCredentials {
        private final Keys keys;

        FixedKeys(Keys keys) {
            this.keys = keys;
        }

        @Override
        Keys keysFor(byte[] salt, int iterations) {
            return keys;
        }
    }
}
