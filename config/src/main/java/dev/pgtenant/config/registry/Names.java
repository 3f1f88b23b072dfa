package dev.pgtenant.config.registry;

import java.nio.charset.StandardCharsets;

/**
 * The rules names in the registry follow; each failure says which rule. Checked by hand rather than
 * with regular expressions, which dominated the reload of a 100,000-user registry.
 */
public final class Names {

    private static final int MAX_ORG_ID = 48;
    private static final int MAX_USER = 63;
    /** PostgreSQL truncates identifiers to 63 bytes; longer names would silently alias. */
    private static final int MAX_IDENTIFIER_BYTES = 63;

    private Names() {
    }

    /** An organization id: a positive integer or a slug of lower-case letters, digits and underscores. */
    public static String requireOrgId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ORG_ID
                || !id.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')) {
            throw new RegistryException("organization id \"" + id + "\" is invalid: use 1 to 48 characters of a-z, 0-9 and _");
        }
        return id;
    }

    public static String requireUser(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_USER || !name.chars().allMatch(c -> c >= 'a' && c <= 'z'
                || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '@' || c == '+' || c == '-')) {
            throw new RegistryException("user name \"" + name + "\" is invalid: use 1 to 63 characters of A-Z, a-z, 0-9, _ . @ + -");
        }
        return name;
    }

    public static String requireDatabase(String name) {
        return requireIdentifier(name, "database name");
    }

    public static String requireRole(String name, String what) {
        return requireIdentifier(name, what);
    }

    /** The database of an organization unless configured otherwise. */
    public static String defaultDatabase(String orgId) {
        return "orgdata_" + orgId;
    }

    private static String requireIdentifier(String name, String what) {
        if (name == null || name.isEmpty() || name.indexOf('\0') >= 0
                || name.getBytes(StandardCharsets.UTF_8).length > MAX_IDENTIFIER_BYTES) {
            throw new RegistryException(what + " \"" + name + "\" is invalid: use 1 to 63 bytes without NUL");
        }
        return name;
    }
}
