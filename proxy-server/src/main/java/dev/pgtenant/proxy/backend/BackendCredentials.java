package dev.pgtenant.proxy.backend;

import dev.pgtenant.protocol.auth.ScramCredentials;

/**
 * A backend role's password and the SCRAM credentials made from it. A pool keeps one and reuses it,
 * so the SCRAM keys are derived (PBKDF2) once per backend salt, not once per login.
 */
public record BackendCredentials(String password, ScramCredentials scram) {

    public static BackendCredentials of(String password) {
        return new BackendCredentials(password, password == null ? null : ScramCredentials.password(password));
    }
}
