package dev.pgtenant.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.SqlState;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScramTest {

    // RFC 7677, section 3.
    private static final String CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final byte[] SALT = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    private static final String CLIENT_FIRST = "n,,n=user,r=" + CLIENT_NONCE;
    private static final String SERVER_FIRST = "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private static final String CLIENT_FINAL = "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE
            + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private static final String SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private static final ScramVerifier PENCIL = ScramVerifier.fromPassword("pencil", SALT, 4096);

    static ByteString text(String value) {
        return ByteString.copyOf(value.getBytes(StandardCharsets.UTF_8));
    }

    static String text(ByteString value) {
        return new String(value.toByteArray(), StandardCharsets.UTF_8);
    }

    private static ScramServerExchange rfcServer() {
        return new ScramServerExchange(PENCIL, false, () -> SERVER_NONCE);
    }

    private static ScramClientExchange rfcClient(ScramCredentials credentials) {
        return new ScramClientExchange(credentials, ScramClientExchange.DEFAULT_MAX_ITERATIONS, "user", () -> CLIENT_NONCE);
    }

    @Test
    void serverSideMatchesRfc7677() {
        ScramServerExchange server = rfcServer();
        assertThat(text(server.handleClientFirst(text(CLIENT_FIRST)))).isEqualTo(SERVER_FIRST);
        assertThat(text(server.handleClientFinal(text(CLIENT_FINAL)))).isEqualTo(SERVER_FINAL);
    }

    @Test
    void clientSideMatchesRfc7677() {
        ScramClientExchange client = rfcClient(ScramCredentials.password("pencil"));
        assertThat(text(client.clientFirstMessage())).isEqualTo(CLIENT_FIRST);
        assertThat(text(client.handleServerFirst(text(SERVER_FIRST)))).isEqualTo(CLIENT_FINAL);
        client.handleServerFinal(text(SERVER_FINAL));
    }

    /** A backend keeps its salt until the role's password changes: logins after the first cost no PBKDF2. */
    @Test
    void aPasswordsKeysAreDerivedOncePerSaltAndIterationCount() {
        ScramCredentials pencil = ScramCredentials.password("pencil");
        ScramCredentials.Keys first = pencil.keysFor(SALT, 4096);
        assertThat(pencil.keysFor(SALT.clone(), 4096)).isSameAs(first);
        ScramCredentials.Keys otherSalt = pencil.keysFor(new byte[16], 4096);
        assertThat(otherSalt.clientKey()).isNotEqualTo(first.clientKey());
        assertThat(pencil.keysFor(new byte[16], 4096)).isSameAs(otherSalt);
        assertThat(pencil.keysFor(new byte[16], 4097)).isNotSameAs(otherSalt);
        // The kept keys still log in: the RFC exchange again, after the salt went back and forth.
        ScramClientExchange client = rfcClient(pencil);
        client.clientFirstMessage();
        assertThat(text(client.handleServerFirst(text(SERVER_FIRST)))).isEqualTo(CLIENT_FINAL);
    }

    @Test
    void verifierHasPostgresqlTextFormAndParsesBack() {
        String formatted = PENCIL.format();
        assertThat(formatted).startsWith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$");
        assertThat(ScramVerifier.parse(formatted)).isEqualTo(PENCIL);
        assertThat(PENCIL.toString()).doesNotContain("W22Z");
        assertThat(PENCIL.matches("pencil")).isTrue();
        assertThat(PENCIL.matches("pencil ")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "md5abc", "SCRAM-SHA-256$4096:c2FsdA==$a2V5", "SCRAM-SHA-256$99999999999:c2FsdA==$a2V5:a2V5",
            "SCRAM-SHA-256$0:c2FsdA==$YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=:YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=",
            "SCRAM-SHA-256$4096:c2FsdA==$a2V5:a2V5"})
    void malformedVerifiersAreRefused(String text) {
        assertThatThrownBy(() -> ScramVerifier.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void clientKeyRecoveredByTheServerLogsInWithoutThePassword() {
        ScramServerExchange server = ScramServerExchange.forVerifier(PENCIL);
        ScramClientExchange client = new ScramClientExchange(ScramCredentials.password("pencil"));
        ByteString serverFirst = server.handleClientFirst(client.clientFirstMessage());
        client.handleServerFinal(server.handleClientFinal(client.handleServerFirst(serverFirst)));

        ScramServerExchange backend = ScramServerExchange.forVerifier(PENCIL);
        ScramClientExchange proxy = new ScramClientExchange(PENCIL.credentialsWithClientKey(server.clientKey()));
        ByteString backendFirst = backend.handleClientFirst(proxy.clientFirstMessage());
        proxy.handleServerFinal(backend.handleClientFinal(proxy.handleServerFirst(backendFirst)));
    }

    @Test
    void wrongPasswordIsRejectedWith28P01() {
        ScramServerExchange server = ScramServerExchange.forVerifier(PENCIL);
        ScramClientExchange client = new ScramClientExchange(ScramCredentials.password("crayon"));
        ByteString clientFinal = client.handleServerFirst(server.handleClientFirst(client.clientFirstMessage()));
        assertThatThrownBy(() -> server.handleClientFinal(clientFinal))
                .isInstanceOfSatisfying(ScramException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_PASSWORD));
        assertThatThrownBy(server::clientKey).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unknownUserLooksLikeAWrongPasswordWithAStableSalt() {
        byte[] secret = "server secret".getBytes(StandardCharsets.UTF_8);
        ScramServerExchange first = ScramServerExchange.forUnknownUser("ghost", secret);
        ScramServerExchange second = ScramServerExchange.forUnknownUser("ghost", secret);
        ScramClientExchange client = new ScramClientExchange(ScramCredentials.password("anything"));
        String serverFirst = text(first.handleClientFirst(client.clientFirstMessage()));
        String againFirst = text(second.handleClientFirst(text("n,,n=,r=abc")));
        assertThat(serverFirst.substring(serverFirst.indexOf(",s="))).isEqualTo(againFirst.substring(againFirst.indexOf(",s=")));
        ByteString clientFinal = client.handleServerFirst(text(serverFirst));
        assertThatThrownBy(() -> first.handleClientFinal(clientFinal))
                .isInstanceOfSatisfying(ScramException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_PASSWORD));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "x,,n=,r=abc", "n", "n,", "p=tls-server-end-point,,n=,r=abc", "n,a=admin,n=,r=abc",
            "n,,r=abc", "n,,n=", "n,,n=,r=", "n,,n=,n=,r=abc", "n,,n=,r=abc,r=def", "n,,m=ext,n=,r=abc",
            "n,,n=,r=ab\u0001c", "n,,n=,r=abc,junk", "n,,n=,=x,r=abc", "n,,n=,r=abc,X=1,X=2", "n,,n=,r=abc,"})
    void malformedClientFirstIsRefused(String message) {
        assertThatThrownBy(() -> ScramServerExchange.forVerifier(PENCIL).handleClientFirst(text(message)))
                .isInstanceOfSatisfying(ScramException.class,
                        e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION));
    }

    @ParameterizedTest
    @ValueSource(strings = {"n,,n=j\u00f6rg,r=abc", "n,,n=,r=abc,x=1,X=1", "y,,n=,r=abc"})
    void wellFormedClientFirstIsAnswered(String message) {
        ByteString serverFirst = ScramServerExchange.forVerifier(PENCIL).handleClientFirst(text(message));
        assertThat(text(serverFirst)).startsWith("r=abc").contains(",i=4096");
    }

    @Test
    void invalidUtf8IsRefused() {
        assertThatThrownBy(() -> ScramServerExchange.forVerifier(PENCIL)
                .handleClientFirst(ByteString.copyOf(new byte[] {'n', ',', ',', (byte) 0xC3, (byte) 0x28})))
                .isInstanceOf(ScramException.class).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> ScramServerExchange.forVerifier(PENCIL).handleClientFirst(null))
                .isInstanceOf(ScramException.class).hasMessageContaining("missing");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE,
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "c=biws,r=" + CLIENT_NONCE + "WRONG,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "c=eSws,r=" + CLIENT_NONCE + SERVER_NONCE + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE + ",p=not*base64",
            "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE + ",p=c2hvcnQ=",
            "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1",
            "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE + ",c=biws,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="})
    void malformedClientFinalIsRefused(String message) {
        ScramServerExchange server = rfcServer();
        server.handleClientFirst(text(CLIENT_FIRST));
        assertThatThrownBy(() -> server.handleClientFinal(text(message)))
                .isInstanceOfSatisfying(ScramException.class,
                        e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION));
    }

    @Test
    void messagesOutOfOrderAreRefused() {
        ScramServerExchange server = rfcServer();
        assertThatThrownBy(() -> server.handleClientFinal(text(CLIENT_FINAL))).isInstanceOf(ScramException.class);
        ScramServerExchange replayed = rfcServer();
        replayed.handleClientFirst(text(CLIENT_FIRST));
        replayed.handleClientFinal(text(CLIENT_FINAL));
        assertThatThrownBy(() -> replayed.handleClientFinal(text(CLIENT_FINAL))).isInstanceOf(ScramException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=2147483647",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999999",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-5",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=four",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=",
            "r=someone-elses-nonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "r=" + CLIENT_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=!!!,i=4096",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=,i=4096",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",i=4096",
            "r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "m=required,r=" + CLIENT_NONCE + SERVER_NONCE + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            "e=other-error"})
    void hostileOrMalformedServerFirstIsRefused(String message) {
        ScramClientExchange client = rfcClient(ScramCredentials.password("pencil"));
        client.clientFirstMessage();
        assertThatThrownBy(() -> client.handleServerFirst(text(message)))
                .isInstanceOfSatisfying(ScramException.class,
                        e -> assertThat(e.sqlState()).isEqualTo(SqlState.PROTOCOL_VIOLATION));
    }

    @Test
    void iterationCapIsConfigurable() {
        ScramClientExchange client = new ScramClientExchange(ScramCredentials.password("pencil"), 1000,
                "user", () -> CLIENT_NONCE);
        client.clientFirstMessage();
        assertThatThrownBy(() -> client.handleServerFirst(text(SERVER_FIRST)))
                .isInstanceOf(ScramException.class).hasMessageContaining("outside the accepted range 1 to 1000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=AAAA", "v=not base64!", "e=invalid-proof", "x=1", ""})
    void serverFinalThatDoesNotProveTheServerIsRefused(String message) {
        ScramClientExchange client = rfcClient(ScramCredentials.password("pencil"));
        client.clientFirstMessage();
        client.handleServerFirst(text(SERVER_FIRST));
        assertThatThrownBy(() -> client.handleServerFinal(text(message))).isInstanceOf(ScramException.class);
    }

    @Test
    void saslPrepFollowsPostgresql() {
        assertThat(SaslPrep.prepare("pencil")).isEqualTo("pencil");
        assertThat(SaslPrep.prepare("a\u00A0b")).isEqualTo("a b");
        assertThat(SaslPrep.prepare("\u2168")).isEqualTo("IX");
        assertThat(SaslPrep.prepare("I\u00ADX")).isEqualTo("IX");
        assertThat(SaslPrep.prepare("tab\there")).isEqualTo("tab\there");
        assertThat(SaslPrep.prepare("é\u0007")).isEqualTo("é\u0007");
        assertThat(ScramVerifier.fromPassword("\u2168", SALT, 4096).matches("IX")).isTrue();
    }
}
