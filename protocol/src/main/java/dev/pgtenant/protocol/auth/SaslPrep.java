package dev.pgtenant.protocol.auth;

import com.ongres.saslprep.SASLprep;

/**
 * Normalises a password the way PostgreSQL's pg_saslprep does before hashing it: ASCII passwords
 * are used as they are, others go through SASLprep (RFC 4013, stored-string rules), and a password
 * SASLprep prohibits is used unchanged rather than refused.
 */
public final class SaslPrep {

    private static final SASLprep PROFILE = new SASLprep();

    private SaslPrep() {
    }

    public static String prepare(String password) {
        if (isAscii(password)) {
            return password;
        }
        try {
            return PROFILE.prepareStored(password);
        } catch (IllegalArgumentException prohibited) {
            return password;
        }
    }

    private static boolean isAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) > 0x7F) {
                return false;
            }
        }
        return true;
    }
}
