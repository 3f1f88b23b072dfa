package dev.pgtenant.protocol.auth;

import dev.pgtenant.protocol.ByteString;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The client side of one SCRAM-SHA-256 login to a server. Use: send {@link #clientFirstMessage},
 * pass the server's SASLContinue data to {@link #handleServerFirst} and send what it returns, then
 * pass the SASLFinal data to {@link #handleServerFinal}, which checks the server knew the verifier.
 * Not thread-safe: one exchange per login.
 */
public final class ScramClientExchange {

    public static final String MECHANISM = ScramFunctions.MECHANISM;

    /**
     * A server's iteration count above this is refused: PBKDF2 cost grows with it, and a hostile
     * server could otherwise make each login burn seconds of CPU.
     */
    public static final int DEFAULT_MAX_ITERATIONS = 1_000_000;

    private static final String GS2_HEADER = "n,,";

    private enum State { START, EXPECT_SERVER_FIRST, EXPECT_SERVER_FINAL, DONE }

    private final ScramCredentials credentials;
    private final int maxIterations;
    private final String clientNonce;
    private final String user;
    private State state = State.START;
    private boolean serverProven;
    private byte[] expectedServerSignature;

    ScramClientExchange(ScramCredentials credentials, int maxIterations, String user, Supplier<String> nonces) {
        this.credentials = credentials;
        this.maxIterations = maxIterations;
        this.user = user.replace("=", "=3D").replace(",", "=2C");
        this.clientNonce = nonces.get();
    }

    public ScramClientExchange(ScramCredentials credentials, int maxIterations) {
        this(credentials, maxIterations, "", ScramFunctions::randomNonce);
    }

    public ScramClientExchange(ScramCredentials credentials) {
        this(credentials, DEFAULT_MAX_ITERATIONS);
    }

    /** The client-first message. The user name is left empty: PostgreSQL takes it from the startup packet. */
    public ByteString clientFirstMessage() {
        expect(State.START);
        state = State.EXPECT_SERVER_FIRST;
        return ScramAttributes.bytes(GS2_HEADER + clientFirstBare());
    }

    /** Reads server-first and returns the client-final message with the proof. */
    public ByteString handleServerFirst(ByteString message) {
        expect(State.EXPECT_SERVER_FIRST);
        state = State.DONE;
        String serverFirst = ScramAttributes.text(message);
        ScramAttributes attributes = ScramAttributes.parse(serverFirst, "rsi");
        String nonce = ScramAttributes.nonce(attributes.get(0));
        if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()) {
            throw ScramException.malformed("the server's nonce does not extend the client's");
        }
        byte[] salt = ScramAttributes.base64(attributes.get(1), "the salt");
        if (salt.length == 0) {
            throw ScramException.malformed("the salt is empty");
        }
        int iterations = iterations(attributes.get(2));
        ScramCredentials.Keys keys = credentials.keysFor(salt, iterations);

        String withoutProof = "c=" + Base64.getEncoder().encodeToString(ScramAttributes.bytes(GS2_HEADER).toByteArray())
                + ",r=" + nonce;
        String authMessage = clientFirstBare() + "," + serverFirst + "," + withoutProof;
        byte[] storedKey = ScramFunctions.sha256(keys.clientKey());
        byte[] proof = ScramFunctions.xor(keys.clientKey(), ScramFunctions.hmac(storedKey, authMessage));
        expectedServerSignature = ScramFunctions.hmac(keys.serverKey(), authMessage);
        state = State.EXPECT_SERVER_FINAL;
        return ScramAttributes.bytes(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof));
    }

    /** Checks server-final; throws {@link ScramException} when the server refused or could not prove itself. */
    public void handleServerFinal(ByteString message) {
        expect(State.EXPECT_SERVER_FINAL);
        state = State.DONE;
        String text = ScramAttributes.text(message);
        if (text.startsWith("e=")) {
            throw ScramException.rejected("the server refused the SCRAM login: " + text.substring(2));
        }
        ScramAttributes attributes = ScramAttributes.parse(text, "v");
        byte[] signature = ScramAttributes.base64(attributes.get(0), "the server signature");
        if (!ScramFunctions.constantTimeEquals(signature, expectedServerSignature)) {
            throw ScramException.rejected("the server's SCRAM signature does not match: it does not hold this password's verifier");
        }
        serverProven = true;
    }

    /** Whether the server's final message proved that it holds the password's verifier. */
    public boolean serverProven() {
        return serverProven;
    }

    private String clientFirstBare() {
        return "n=" + user + ",r=" + clientNonce;
    }

    private int iterations(String value) {
        if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw ScramException.malformed("the iteration count \"" + value + "\" is not a number");
        }
        long iterations = Long.parseLong(value);
        if (iterations < 1 || iterations > maxIterations) {
            throw ScramException.malformed("the server asks for " + iterations
                    + " iterations, outside the accepted range 1 to " + maxIterations);
        }
        return (int) iterations;
    }

    private void expect(State expected) {
        if (state != expected) {
            throw new IllegalStateException("SCRAM client step out of order: expected " + expected + " but at " + state);
        }
    }
}
