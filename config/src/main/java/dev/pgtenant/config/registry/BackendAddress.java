package dev.pgtenant.config.registry;

import java.net.URI;
import java.net.URISyntaxException;

/** A PostgreSQL server: where org databases live. Written as {@code postgresql://host:port}. */
public record BackendAddress(String host, int port) {

    public static final int DEFAULT_PORT = 5432;

    public BackendAddress {
        if (host == null || host.isBlank()) {
            throw new RegistryException("a backend needs a host");
        }
        if (port < 1 || port > 65_535) {
            throw new RegistryException("backend port " + port + " is out of range");
        }
    }

    /** Parses {@code postgresql://host[:port]} (also {@code postgres://}); a path or credentials are refused. */
    public static BackendAddress parse(String url) {
        try {
            URI uri = new URI(url.trim());
            if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
                throw new RegistryException("backend \"" + url + "\" must look like postgresql://host:port");
            }
            if (uri.getUserInfo() != null) {
                throw new RegistryException("backend \"" + url + "\" must not carry credentials: use the backend user and password settings");
            }
            if (uri.getPath() != null && uri.getPath().length() > 1) {
                throw new RegistryException("backend \"" + url + "\" must not name a database: the organization's database setting does");
            }
            if (uri.getHost() == null) {
                throw new RegistryException("backend \"" + url + "\" has no host");
            }
            return new BackendAddress(unbracketed(uri.getHost()), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort());
        } catch (URISyntaxException e) {
            throw new RegistryException("backend \"" + url + "\" is not a valid URL: " + e.getReason());
        }
    }

    /** A URL's host without the brackets an IPv6 literal is written in. */
    static String unbracketed(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    @Override
    public String toString() {
        return "postgresql://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * pgjdbc's URL for {@code database} on this server. The name is URL-encoded: pgjdbc decodes it, and
     * reads what follows a '?' as connection parameters that override the caller's, so a raw name such
     * as {@code orgdata_b?} would open another database, or log in as someone else.
     */
    public String jdbcUrl(String database) {
        return "jdbc:" + this + "/" + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8);
    }
}
