package dev.pgtenant.protocol.auth;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.frontend.PasswordMessage;
import dev.pgtenant.protocol.message.frontend.SaslInitialResponse;
import dev.pgtenant.protocol.message.frontend.SaslResponse;
import java.util.Optional;

/**
 * The client side of PostgreSQL authentication, without I/O: given each Authentication request a
 * server sends, says what to answer. Speaks SCRAM-SHA-256, MD5, cleartext and trust, whichever the
 * server asks for. MD5 and cleartext need the password itself; SCRAM can also use keys.
 */
public final class ClientLogin {

    private final String user;
    private final String password;
    private final ScramCredentials scramCredentials;
    private final int maxIterations;
    private ScramClientExchange scram;
    private boolean authenticated;

    private ClientLogin(String user, String password, ScramCredentials scramCredentials, int maxIterations) {
        this.user = user;
        this.password = password;
        this.scramCredentials = scramCredentials;
        this.maxIterations = maxIterations;
    }

    /** Logs in with a password; {@code null} allows only servers that trust the client. */
    public static ClientLogin withPassword(String user, String password) {
        return new ClientLogin(user, password, password == null ? null : ScramCredentials.password(password),
                ScramClientExchange.DEFAULT_MAX_ITERATIONS);
    }

    /**
     * Logs in with a password (for MD5 and cleartext, may be {@code null}) and SCRAM credentials made
     * from it and kept by the caller, so repeated logins skip PBKDF2.
     */
    public static ClientLogin of(String user, String password, ScramCredentials scram, int maxIterations) {
        return new ClientLogin(user, password, scram, maxIterations);
    }

    /** Logs in with SCRAM credentials; a cached {@link ScramCredentials#password} skips repeated PBKDF2. */
    public static ClientLogin withScram(String user, ScramCredentials credentials, int maxIterations) {
        return new ClientLogin(user, null, credentials, maxIterations);
    }

    /**
     * The answer to one request, or empty when none is due (AuthenticationOk, and SASLFinal once
     * checked). Throws {@link ProtocolException} when the server asks for a method not available
     * with these credentials, or {@link ScramException} when the SCRAM exchange fails.
     */
    public Optional<FrontendMessage> respond(Authentication request) {
        if (request instanceof Authentication.Ok) {
            // Without its SASLFinal a server (or whoever answers in its place) never proved it holds
            // the verifier; libpq lets that pass, a proxy that logs in for its tenants should not.
            if (scram != null && !scram.serverProven()) {
                throw ScramException.rejected("the server said AuthenticationOk without completing the SCRAM exchange,"
                        + " so it never proved it holds this password's verifier");
            }
            authenticated = true;
            return Optional.empty();
        }
        if (scram != null && (request instanceof Authentication.CleartextPassword || request instanceof Authentication.Md5Password)) {
            throw ProtocolException.violation("the server asked for a password in the middle of a SCRAM exchange;"
                    + " pgtenant does not send it a weaker proof");
        }
        if (request instanceof Authentication.CleartextPassword) {
            return Optional.of(new PasswordMessage(requirePassword("cleartext")));
        }
        if (request instanceof Authentication.Md5Password md5) {
            return Optional.of(new PasswordMessage(
                    Md5Password.clientResponse(user, requirePassword("md5"), md5.salt().toByteArray())));
        }
        if (request instanceof Authentication.Sasl sasl) {
            return Optional.of(startScram(sasl));
        }
        if (request instanceof Authentication.SaslContinue next) {
            return Optional.of(new SaslResponse(scram().handleServerFirst(next.data())));
        }
        if (request instanceof Authentication.SaslFinal last) {
            scram().handleServerFinal(last.data());
            return Optional.empty();
        }
        throw new ProtocolException(SqlState.FEATURE_NOT_SUPPORTED,
                "the server asks for authentication method " + request.code() + ", which pgtenant does not support");
    }

    /** Whether the server has said AuthenticationOk. */
    public boolean authenticated() {
        return authenticated;
    }

    private FrontendMessage startScram(Authentication.Sasl sasl) {
        if (!sasl.mechanisms().contains(ScramClientExchange.MECHANISM)) {
            throw new ProtocolException(SqlState.FEATURE_NOT_SUPPORTED,
                    "the server offers SASL mechanisms " + sasl.mechanisms() + " but not SCRAM-SHA-256");
        }
        if (scramCredentials == null) {
            throw noCredentials("SCRAM-SHA-256");
        }
        scram = new ScramClientExchange(scramCredentials, maxIterations);
        return new SaslInitialResponse(ScramClientExchange.MECHANISM, scram.clientFirstMessage());
    }

    private ScramClientExchange scram() {
        if (scram == null) {
            throw ProtocolException.violation("the server continued a SASL exchange that was never started");
        }
        return scram;
    }

    private String requirePassword(String method) {
        if (password == null) {
            throw noCredentials(method);
        }
        return password;
    }

    private static ProtocolException noCredentials(String method) {
        return new ProtocolException(SqlState.INVALID_PASSWORD,
                "the server asks for " + method + " authentication but no password is configured for it");
    }
}
