package dev.pgtenant.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * PostgreSQL's MD5 password scheme. The stored form is {@code "md5" + md5(password + user)}; a
 * client answers a salt with {@code "md5" + md5(md5hex(password + user) + salt)}. Kept for backends
 * and clients that still use it: SCRAM is the default everywhere in pgtenant.
 */
public final class Md5Password {

    private static final String PREFIX = "md5";
    private static final int STORED_LENGTH = 35;

    private Md5Password() {
    }

    /** The stored form, as PostgreSQL keeps it in pg_authid when password_encryption is md5. */
    public static String stored(String user, String password) {
        return PREFIX + md5Hex(bytes(password + user));
    }

    public static boolean isStoredForm(String value) {
        return value.length() == STORED_LENGTH && value.startsWith(PREFIX)
                && value.substring(PREFIX.length()).chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    /** What a client sends for the server's four-byte salt. */
    public static String clientResponse(String user, String password, byte[] salt) {
        return saltedResponse(stored(user, password), salt);
    }

    /** Checks a client's response against the stored form, in constant time. */
    public static boolean verify(String storedForm, byte[] salt, String response) {
        if (!isStoredForm(storedForm)) {
            throw new IllegalArgumentException("not an MD5 password hash");
        }
        return MessageDigest.isEqual(bytes(saltedResponse(storedForm, salt)), bytes(response));
    }

    private static String saltedResponse(String storedForm, byte[] salt) {
        byte[] hex = bytes(storedForm.substring(PREFIX.length()));
        byte[] input = new byte[hex.length + salt.length];
        System.arraycopy(hex, 0, input, 0, hex.length);
        System.arraycopy(salt, 0, input, hex.length, salt.length);
        return PREFIX + md5Hex(input);
    }

    private static String md5Hex(byte[] input) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(input));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is missing from this JVM", e);
        }
    }

    private static byte[] bytes(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
