package dev.pgtenant.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The SCRAM-SHA-256 building blocks of RFC 5802 and RFC 7677. */
final class ScramFunctions {

    static final String MECHANISM = "SCRAM-SHA-256";
    static final int KEY_LENGTH = 32;
    /** PostgreSQL's default scram_iterations. */
    static final int DEFAULT_ITERATIONS = 4096;
    /** Random bytes in a nonce, as libpq uses (SCRAM_RAW_NONCE_LEN). */
    static final int NONCE_BYTES = 18;
    static final int SALT_BYTES = 16;

    private static final SecureRandom RANDOM = new SecureRandom();
    /*
     * One instance per thread: finding a provider's implementation costs more than hashing a login's
     * few hundred bytes, and an instance is not safe to share between threads.
     */
    private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    });
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    });
    private static final byte[] CLIENT_KEY = "Client Key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER_KEY = "Server Key".getBytes(StandardCharsets.US_ASCII);

    private ScramFunctions() {
    }

    /** Hi() of RFC 5802, which is PBKDF2 with HMAC-SHA-256, on the SASLprep'd password. */
    static byte[] saltedPassword(String password, byte[] salt, int iterations) {
        Mac mac = hmac(SaslPrep.prepare(password).getBytes(StandardCharsets.UTF_8));
        mac.update(salt);
        mac.update(new byte[] {0, 0, 0, 1});
        byte[] u = mac.doFinal();
        byte[] result = u.clone();
        try {
            for (int i = 1; i < iterations; i++) {
                mac.update(u);
                mac.doFinal(u, 0);
                for (int j = 0; j < KEY_LENGTH; j++) {
                    result[j] ^= u[j];
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 failed", e);
        }
        return result;
    }

    static byte[] clientKey(byte[] saltedPassword) {
        return hmac(saltedPassword, CLIENT_KEY);
    }

    static byte[] serverKey(byte[] saltedPassword) {
        return hmac(saltedPassword, SERVER_KEY);
    }

    static byte[] hmac(byte[] key, byte[] data) {
        return hmac(key).doFinal(data);
    }

    static byte[] hmac(byte[] key, String data) {
        return hmac(key, data.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] sha256(byte[] data) {
        return SHA256.get().digest(data);
    }

    static byte[] xor(byte[] a, byte[] b) {
        byte[] result = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            result[i] = (byte) (a[i] ^ b[i]);
        }
        return result;
    }

    /** Compares in time independent of where the inputs differ. */
    static boolean constantTimeEquals(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    static String randomNonce() {
        return Base64.getEncoder().encodeToString(randomBytes(NONCE_BYTES));
    }

    /** This thread's HMAC, keyed; it is the thread's until the next call, so callers use it at once. */
    private static Mac hmac(byte[] key) {
        try {
            Mac mac = HMAC.get();
            // HMAC pads keys with zeros, so the empty key equals a single zero byte, which the JCE accepts.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 refused a key", e);
        }
    }
}
