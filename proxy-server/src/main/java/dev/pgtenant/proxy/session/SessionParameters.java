package dev.pgtenant.proxy.session;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.proxy.transaction.SessionStateScanner;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run-time parameters a client asked for at startup (application_name, client_encoding,
 * DateStyle, TimeZone, search_path, {@code options=-c name=value}, ...). Pooled backend connections
 * are opened without them, so they are applied with {@code set_config} (which reads a value the way
 * a startup packet does: {@code search_path=a,b} is two schemas) when the client gets its
 * connection; the pool's reset ({@code DISCARD ALL}) undoes them for the next client. A client could
 * run the same statements itself, so this grants nothing beyond plain SQL.
 */
public final class SessionParameters {

    /** Startup keys that are not run-time parameters. */
    private static final java.util.Set<String> NOT_PARAMETERS = java.util.Set.of("user", "database", "options");

    private final Map<String, String> values;

    private SessionParameters(Map<String, String> values) {
        this.values = values;
    }

    public static SessionParameters from(StartupMessage startup) {
        Map<String, String> values = new LinkedHashMap<>();
        // As in PostgreSQL, settings given as parameters of their own win over those in options.
        String options = startup.parameters().get("options");
        if (options != null) {
            values.putAll(parseOptions(options));
        }
        startup.parameters().forEach((name, value) -> {
            if (name.equals("replication")) {
                throw new ProtocolException(SqlState.FEATURE_NOT_SUPPORTED,
                        "replication connections are not supported through pgtenant; connect to the backend directly");
            }
            if (NOT_PARAMETERS.contains(name) || name.startsWith(StartupMessage.PROTOCOL_OPTION_PREFIX)) {
                return;
            }
            values.put(checkedName(name), value);
        });
        return new SessionParameters(values);
    }

    public Map<String, String> values() {
        return java.util.Collections.unmodifiableMap(values);
    }

    /** The settings the server does not report with ParameterStatus, which the proxy must track itself. */
    public Map<String, String> unreportedValues() {
        Map<String, String> unreported = new LinkedHashMap<>(values);
        unreported.keySet().removeIf(SessionStateScanner::isReported);
        return unreported;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** One simple query that sets them all, or {@code null} when there is nothing to set. */
    public String toSql() {
        if (values.isEmpty()) {
            return null;
        }
        StringBuilder sql = new StringBuilder("SELECT ");
        values.forEach((name, value) -> sql.append(setConfig(name, value)).append(", "));
        sql.setLength(sql.length() - 2);
        return sql.toString();
    }

    /** The call that sets {@code name} to {@code value} for the session, with both as {@link #literal}s. */
    public static String setConfig(String name, String value) {
        return "pg_catalog.set_config(" + literal(name) + ", " + literal(value) + ", false)";
    }

    /**
     * A text value as SQL in ASCII alone: the server reads a query in the client_encoding the
     * connection's last client left, and a multibyte character of SJIS or BIG5 can even end in the
     * byte of a backslash. ASCII goes as an escape-string literal, safe whatever
     * standard_conforming_strings is; anything else as its UTF-8 bytes, converted to the database's
     * encoding by the server (passed through unchanged on SQL_ASCII, as Unicode escapes would not be).
     */
    public static String literal(String value) {
        if (!isAscii(value)) {
            return "pg_catalog.convert_from(pg_catalog.decode('"
                    + java.util.HexFormat.of().formatHex(value.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    + "', 'hex'), 'UTF8')";
        }
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    private static boolean isAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * Parses the {@code options} startup parameter as PostgreSQL does for the settings it carries:
     * {@code -c name=value} and {@code --name=value}, separated by spaces, a backslash escaping the
     * next character.
     */
    static Map<String, String> parseOptions(String options) {
        Map<String, String> values = new LinkedHashMap<>();
        java.util.List<String> words = splitWords(options);
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            String setting;
            if (word.equals("-c")) {
                if (i + 1 >= words.size()) {
                    throw unsupported("-c at the end of options has no setting");
                }
                setting = words.get(++i);
            } else if (word.startsWith("-c")) {
                setting = word.substring(2);
            } else if (word.startsWith("--")) {
                setting = word.substring(2);
            } else {
                throw unsupported("startup option \"" + word + "\" is not supported through pgtenant; only -c name=value is");
            }
            int equals = setting.indexOf('=');
            if (equals <= 0) {
                throw unsupported("startup option \"" + setting + "\" must look like name=value");
            }
            values.put(checkedName(setting.substring(0, equals).replace('-', '_')), setting.substring(equals + 1));
        }
        return values;
    }

    private static java.util.List<String> splitWords(String options) {
        java.util.List<String> words = new java.util.ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean escaped = false;
        for (char c : options.toCharArray()) {
            if (escaped) {
                word.append(c);
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (Character.isWhitespace(c)) {
                if (word.length() > 0) {
                    words.add(word.toString());
                    word.setLength(0);
                }
            } else {
                word.append(c);
            }
        }
        if (word.length() > 0) {
            words.add(word.toString());
        }
        return words;
    }

    /** A letter or underscore, then up to 62 letters, digits, underscores or dots: checked by hand, as at every login. */
    private static String checkedName(String name) {
        int length = name.length();
        boolean valid = length > 0 && length <= 63;
        for (int i = 0; valid && i < length; i++) {
            char c = name.charAt(i);
            valid = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
                    || i > 0 && (c >= '0' && c <= '9' || c == '.');
        }
        if (!valid) {
            throw unsupported("\"" + name + "\" is not a valid parameter name");
        }
        return name;
    }

    private static ProtocolException unsupported(String message) {
        return new ProtocolException(SqlState.FEATURE_NOT_SUPPORTED, message);
    }
}
