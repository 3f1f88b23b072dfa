package dev.pgtenant.config.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A backend password, stored in the registry itself or referenced from an environment variable or a
 * file (such as a mounted container secret). Resolved when the proxy needs it, so a rotated file
 * or variable takes effect on the next backend login.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Secret(String value, String env, String file) {

    public Secret {
        int set = (value != null ? 1 : 0) + (env != null ? 1 : 0) + (file != null ? 1 : 0);
        if (set != 1) {
            throw new RegistryException("a password must give exactly one of value, env or file");
        }
    }

    public static Secret ofValue(String value) {
        return new Secret(value, null, null);
    }

    public static Secret ofEnv(String variable) {
        return new Secret(null, variable, null);
    }

    public static Secret ofFile(String path) {
        return new Secret(null, null, path);
    }

    /** The password; a file's trailing whitespace, such as its final newline, is dropped. */
    public String resolve(Function<String, String> environment) {
        if (value != null) {
            return value;
        }
        if (env != null) {
            String resolved = environment.apply(env);
            if (resolved == null) {
                throw new RegistryException("environment variable " + env + " holding a backend password is not set");
            }
            return resolved;
        }
        try {
            return Files.readString(Path.of(file)).stripTrailing();
        } catch (IOException e) {
            throw new RegistryException("cannot read backend password file " + file + ": " + e.getMessage(), e);
        }
    }

    public String resolve() {
        return resolve(System::getenv);
    }

    @Override
    public String toString() {
        return value != null ? "Secret[value=<hidden>]" : env != null ? "Secret[env=" + env + "]" : "Secret[file=" + file + "]";
    }
}
