package dev.pgtenant.config.registry;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.function.Function;

/**
 * The PostgreSQL database that holds a shared registry, from a libpq-style URL:
 * {@code postgresql://user[:password]@host[:port]/database[?param=value&...]}. Without a password in
 * the URL, $PGPASSWORD gives it, as for psql; query parameters (such as {@code sslmode}) go to pgjdbc.
 */
public record ControlDatabase(String host, int port, String database, String user, String password,
                              Properties parameters) {

    public static boolean isUrl(String location) {
        return location.startsWith("postgresql://") || location.startsWith("postgres://");
    }

    /** Whether {@code location} looks like a URL of some other scheme (a typo), rather than a file. */
    public static boolean isOtherUrl(String location) {
        return !isUrl(location) && location.matches("[A-Za-z][A-Za-z0-9+.-]*://.*");
    }

    public static ControlDatabase parse(String url) {
        return parse(url, System::getenv);
    }

    static ControlDatabase parse(String url, Function<String, String> environment) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new RegistryException("registry URL is not valid: " + e.getReason());
        }
        if (uri.getHost() == null) {
            throw new RegistryException("registry URL " + redact(url) + " has no host");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String database = path.startsWith("/") ? path.substring(1) : path;
        if (database.isEmpty()) {
            throw new RegistryException("registry URL " + redact(url) + " names no database: add /DATABASE after the host");
        }
        String user = null;
        String password = null;
        if (uri.getUserInfo() != null) {
            String[] parts = uri.getUserInfo().split(":", 2);
            user = parts[0].isEmpty() ? null : parts[0];
            password = parts.length > 1 ? parts[1] : null;
        }
        if (user == null) {
            user = environment.apply("PGUSER");
        }
        if (user == null) {
            throw new RegistryException("registry URL " + redact(url) + " names no user: write postgresql://USER@host/database");
        }
        if (password == null) {
            password = environment.apply("PGPASSWORD");
        }
        Properties parameters = new Properties();
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                String[] keyValue = pair.split("=", 2);
                parameters.setProperty(decode(keyValue[0]), keyValue.length > 1 ? decode(keyValue[1]) : "");
            }
        }
        return new ControlDatabase(BackendAddress.unbracketed(uri.getHost()), uri.getPort() < 0 ? BackendAddress.DEFAULT_PORT : uri.getPort(),
                database, user, password, parameters);
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }

    public String jdbcUrl() {
        return new BackendAddress(host, port).jdbcUrl(database);
    }

    /** Connection properties for pgjdbc: the URL's parameters, the user and the password. */
    public Properties connectionProperties() {
        Properties properties = new Properties();
        properties.putAll(parameters);
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        properties.putIfAbsent("ApplicationName", "pgtenant registry");
        // Bounded reads and keepalives, so that a control database that vanishes without a reset is
        // noticed in seconds rather than after the kernel's retransmissions (about 15 minutes).
        properties.putIfAbsent("connectTimeout", "10");
        properties.putIfAbsent("socketTimeout", "30");
        properties.putIfAbsent("tcpKeepAlive", "true");
        return properties;
    }

    /** The URL without its password, for messages and logs. */
    @Override
    public String toString() {
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        return "postgresql://" + user + "@" + hostPart + ":" + port + "/" + database;
    }

    /** The URL with everything before the host (user and password) hidden, however unusual the password. */
    private static String redact(String url) {
        int start = url.indexOf("://") + 3;
        int at = url.lastIndexOf('@');
        return at >= start ? url.substring(0, start) + "***@" + url.substring(at + 1) : url;
    }
}
