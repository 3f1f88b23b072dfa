package dev.pgtenant.protocol.auth;

import dev.pgtenant.protocol.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The server side of one SCRAM-SHA-256 login, checked against a stored {@link ScramVerifier}.
 * Use: {@link #handleClientFirst} gives the server-first message, {@link #handleClientFinal} checks
 * the proof and gives the server-final message. Channel binding is not offered, so the client must
 * send the {@code n} or {@code y} flag. Not thread-safe: one exchange per login.
 */
public final class ScramServerExchange {

    public static final String MECHANISM = ScramFunctions.MECHANISM;

    private enum State { EXPECT_CLIENT_FIRST, EXPECT_CLIENT_FINAL, DONE }

    private final ScramVerifier verifier;
    private final boolean doomed;
    private final Supplier<String> nonces;
    private State state = State.EXPECT_CLIENT_FIRST;
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private byte[] clientKey;

    ScramServerExchange(ScramVerifier verifier, boolean doomed, Supplier<String> nonces) {
        this.verifier = verifier;
        this.doomed = doomed;
        this.nonces = nonces;
    }

    public static ScramServerExchange forVerifier(ScramVerifier verifier) {
        return new ScramServerExchange(verifier, false, ScramFunctions::randomNonce);
    }

    /**
     * An exchange for a user that does not exist or may not log in. It runs like a real one, with a
     * salt derived from the user name and a server secret so repeated attempts see the same salt,
     * and always fails at the proof: a client cannot tell unknown users from wrong passwords.
     */
    public static ScramServerExchange forUnknownUser(String user, byte[] serverSecret) {
        byte[] salt = Arrays.copyOf(ScramFunctions.hmac(serverSecret, "mock-salt:" + user), ScramFunctions.SALT_BYTES);
        byte[] key = ScramFunctions.hmac(serverSecret, "mock-key:" + user);
        ScramVerifier mock = new ScramVerifier(ScramFunctions.DEFAULT_ITERATIONS, salt, key, key);
        return new ScramServerExchange(mock, true, ScramFunctions::randomNonce);
    }

    /** The verifier the client proves it knows the password of; a mock one for an unknown user. */
    public ScramVerifier verifier() {
        return verifier;
    }

    /** Reads the client-first message (the data of SASLInitialResponse) and answers server-first. */
    public ByteString handleClientFirst(ByteString message) {
        expect(State.EXPECT_CLIENT_FIRST);
        state = State.DONE;
        String text = ScramAttributes.text(message);
        checkChannelBindingFlag(text);
        if (text.startsWith("a=", 2)) {
            throw ScramException.malformed("client uses authorization identity, but it is not supported");
        }
        if (!text.startsWith(",", 2)) {
            throw ScramException.malformed("expected ',' after the empty authorization identity");
        }
        gs2Header = text.substring(0, 3);
        clientFirstBare = text.substring(3);
        ScramAttributes attributes = ScramAttributes.parse(clientFirstBare, "nr");
        nonce = ScramAttributes.nonce(attributes.get(1)) + nonces.get();
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(verifier.salt())
                + ",i=" + verifier.iterations();
        state = State.EXPECT_CLIENT_FINAL;
        return ScramAttributes.bytes(serverFirst);
    }

    /**
     * Reads the client-final message and checks the proof. Returns server-final when it matches;
     * throws {@link ScramException} with 28P01 when it does not.
     */
    public ByteString handleClientFinal(ByteString message) {
        expect(State.EXPECT_CLIENT_FINAL);
        state = State.DONE;
        String text = ScramAttributes.text(message);
        ScramAttributes attributes = ScramAttributes.parse(text, "cr");
        if (attributes.last().name() != 'p' || attributes.size() < 3) {
            throw ScramException.malformed("the client-final message must end with the proof p=");
        }
        String expectedBinding = Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8));
        if (!attributes.get(0).equals(expectedBinding)) {
            throw ScramException.malformed("unexpected channel-binding data");
        }
        if (!attributes.get(1).equals(nonce)) {
            throw ScramException.malformed("the nonce does not match");
        }
        byte[] proof = ScramAttributes.base64(attributes.last().value(), "the proof");
        if (proof.length != ScramFunctions.KEY_LENGTH) {
            throw ScramException.malformed("the proof has " + proof.length + " bytes, not 32");
        }
        String withoutProof = text.substring(0, text.lastIndexOf(",p="));
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] clientSignature = ScramFunctions.hmac(verifier.storedKey(), authMessage);
        byte[] candidateKey = ScramFunctions.xor(proof, clientSignature);
        boolean matches = ScramFunctions.constantTimeEquals(ScramFunctions.sha256(candidateKey), verifier.storedKey());
        if (doomed || !matches) {
            throw ScramException.rejected("the SCRAM proof does not match");
        }
        clientKey = candidateKey;
        byte[] serverSignature = ScramFunctions.hmac(verifier.serverKey(), authMessage);
        return ScramAttributes.bytes("v=" + Base64.getEncoder().encodeToString(serverSignature));
    }

    /**
     * The client's ClientKey, known once its proof has been verified. With the verifier's ServerKey
     * it logs in to any server that stores the same verifier.
     */
    public byte[] clientKey() {
        if (clientKey == null) {
            throw new IllegalStateException("the client has not proved its key yet");
        }
        return clientKey.clone();
    }

    private static void checkChannelBindingFlag(String text) {
        if (text.startsWith("n,") || text.startsWith("y,")) {
            return;
        }
        if (text.startsWith("p=")) {
            throw ScramException.malformed("the client requires channel binding, which this server does not offer");
        }
        throw ScramException.malformed("unexpected channel-binding flag");
    }

    private void expect(State expected) {
        if (state != expected) {
            throw ScramException.malformed("message out of order in the SCRAM exchange");
        }
    }
}
