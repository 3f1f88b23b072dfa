package dev.pgtenant.protocol.auth;

import java.util.Arrays;
import java.util.Base64;

/**
 * What a server stores to check a SCRAM-SHA-256 login without knowing the password, in PostgreSQL's
 * own text form {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>} (as in
 * {@code pg_authid.rolpassword}).
 */
public final class ScramVerifier {

    private static final String PREFIX = ScramFunctions.MECHANISM + "$";

    private final int iterations;
    private final byte[] salt;
    private final byte[] storedKey;
    private final byte[] serverKey;

    ScramVerifier(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
        if (salt.length == 0 || storedKey.length != ScramFunctions.KEY_LENGTH
                || serverKey.length != ScramFunctions.KEY_LENGTH) {
            throw new IllegalArgumentException("a SCRAM-SHA-256 verifier needs a salt and two 32-byte keys");
        }
        this.iterations = iterations;
        this.salt = salt.clone();
        this.storedKey = storedKey.clone();
        this.serverKey = serverKey.clone();
    }

    /** Makes a verifier with a fresh random salt and PostgreSQL's default 4096 iterations. */
    public static ScramVerifier fromPassword(String password) {
        return fromPassword(password, ScramFunctions.randomBytes(ScramFunctions.SALT_BYTES),
                ScramFunctions.DEFAULT_ITERATIONS);
    }

    public static ScramVerifier fromPassword(String password, byte[] salt, int iterations) {
        byte[] salted = ScramFunctions.saltedPassword(password, salt, iterations);
        return new ScramVerifier(iterations, salt, ScramFunctions.sha256(ScramFunctions.clientKey(salted)),
                ScramFunctions.serverKey(salted));
    }

    /**
     * Parses PostgreSQL's text form; throws {@link IllegalArgumentException} saying what is wrong.
     * Scans by hand rather than with a regular expression: a registry reload parses one per user.
     */
    public static ScramVerifier parse(String text) {
        int iterationsEnd = text.startsWith(PREFIX) ? text.indexOf(':', PREFIX.length()) : -1;
        int saltEnd = iterationsEnd < 0 ? -1 : text.indexOf('$', iterationsEnd + 1);
        int storedKeyEnd = saltEnd < 0 ? -1 : text.indexOf(':', saltEnd + 1);
        String digits = iterationsEnd < 0 ? "" : text.substring(PREFIX.length(), iterationsEnd);
        if (storedKeyEnd < 0 || digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(
                    "not a SCRAM-SHA-256 verifier (expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>)");
        }
        long iterations = Long.parseLong(digits);
        if (iterations > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("iteration count " + iterations + " is out of range");
        }
        Base64.Decoder base64 = Base64.getDecoder();
        try {
            return new ScramVerifier((int) iterations, base64.decode(text.substring(iterationsEnd + 1, saltEnd)),
                    base64.decode(text.substring(saltEnd + 1, storedKeyEnd)), base64.decode(text.substring(storedKeyEnd + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a SCRAM-SHA-256 verifier: " + e.getMessage(), e);
        }
    }

    /** Checks a cleartext password against this verifier, as PostgreSQL does for password auth. */
    public boolean matches(String password) {
        byte[] salted = ScramFunctions.saltedPassword(password, salt, iterations);
        return ScramFunctions.constantTimeEquals(ScramFunctions.sha256(ScramFunctions.clientKey(salted)), storedKey);
    }

    public int iterations() {
        return iterations;
    }

    byte[] salt() {
        return salt;
    }

    byte[] storedKey() {
        return storedKey;
    }

    byte[] serverKey() {
        return serverKey;
    }

    /** The keys a SCRAM client needs to log in to a server that holds this same verifier. */
    public ScramCredentials credentialsWithClientKey(byte[] clientKey) {
        return ScramCredentials.keys(clientKey, serverKey);
    }

    /** PostgreSQL's text form, suitable for {@code ALTER ROLE ... PASSWORD '<this>'}. */
    public String format() {
        Base64.Encoder base64 = Base64.getEncoder();
        return ScramFunctions.MECHANISM + "$" + iterations + ":" + base64.encodeToString(salt) + "$"
                + base64.encodeToString(storedKey) + ":" + base64.encodeToString(serverKey);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ScramVerifier that && iterations == that.iterations
                && Arrays.equals(salt, that.salt) && Arrays.equals(storedKey, that.storedKey)
                && Arrays.equals(serverKey, that.serverKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(storedKey);
    }

    /** Deliberately omits the keys: a verifier is a secret that must not reach logs. */
    @Override
    public String toString() {
        return "ScramVerifier[iterations=" + iterations + "]";
    }
}
