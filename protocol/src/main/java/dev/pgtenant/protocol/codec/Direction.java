package dev.pgtenant.protocol.codec;

/** Which side sends a message: the type bytes of the two sides overlap but mean different things. */
public enum Direction {
    /** Client to server: what the proxy reads from clients and writes to backends. */
    FRONTEND("BCdcfDEHFpPQSX"),
    /** Server to client: what the proxy reads from backends and writes to clients. */
    BACKEND("RK23CdcGHWDIEVvnNAtS1sZT");

    private final boolean[] known = new boolean[128];

    Direction(String types) {
        for (char type : types.toCharArray()) {
            known[type] = true;
        }
    }

    public boolean isKnownType(byte type) {
        return type >= 0 && known[type];
    }

    /** A type byte as it reads in a message: the character when printable, else hex. */
    public static String describeType(byte type) {
        return type >= 0x20 && type < 0x7F ? "'" + (char) type + "'" : String.format("0x%02x", type & 0xFF);
    }

    public String sender() {
        return this == FRONTEND ? "frontend" : "backend";
    }
}
