package dev.pgtenant.protocol.message.frontend;

/** What Describe and Close name: a prepared statement ('S') or a portal ('P'). */
public enum PortalOrStatement {
    STATEMENT('S'),
    PORTAL('P');

    private final byte code;

    PortalOrStatement(char code) {
        this.code = (byte) code;
    }

    public byte code() {
        return code;
    }

    /** The kind for a code byte, or {@code null} when the byte names neither. */
    public static PortalOrStatement valueOf(byte code) {
        return switch (code) {
            case 'S' -> STATEMENT;
            case 'P' -> PORTAL;
            default -> null;
        };
    }
}
