package dev.pgtenant.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.frontend.SaslInitialResponse;
import dev.pgtenant.protocol.message.frontend.SaslResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The proxy's login to a backend, against a server that does not behave: one that answers in place
 * of the real backend must not get a login without proving it holds the verifier.
 */
class ClientLoginTest {

    private static final ScramVerifier VERIFIER = ScramVerifier.fromPassword("pw", new byte[16], 4096);
    private static final Authentication.Sasl SCRAM = new Authentication.Sasl(List.of("SCRAM-SHA-256"));

    @Test
    void aCompletedScramExchangeLogsIn() {
        ClientLogin login = ClientLogin.withPassword("u", "pw");
        ScramServerExchange server = ScramServerExchange.forVerifier(VERIFIER);
        SaslInitialResponse first = (SaslInitialResponse) login.respond(SCRAM).orElseThrow();
        SaslResponse last = (SaslResponse) login.respond(new Authentication.SaslContinue(server.handleClientFirst(first.data())))
                .orElseThrow();
        assertThat(login.respond(new Authentication.SaslFinal(server.handleClientFinal(last.data())))).isEmpty();
        assertThat(login.respond(new Authentication.Ok())).isEmpty();
        assertThat(login.authenticated()).isTrue();
    }

    @Test
    void authenticationOkBeforeTheServerProvedItselfIsRefused() {
        ClientLogin afterStart = ClientLogin.withPassword("u", "pw");
        afterStart.respond(SCRAM);
        assertThatThrownBy(() -> afterStart.respond(new Authentication.Ok())).isInstanceOf(ScramException.class)
                .hasMessageContaining("without completing the SCRAM exchange");
        assertThat(afterStart.authenticated()).isFalse();

        ClientLogin afterProof = ClientLogin.withPassword("u", "pw");
        ScramServerExchange server = ScramServerExchange.forVerifier(VERIFIER);
        SaslInitialResponse first = (SaslInitialResponse) afterProof.respond(SCRAM).orElseThrow();
        afterProof.respond(new Authentication.SaslContinue(server.handleClientFirst(first.data())));
        assertThatThrownBy(() -> afterProof.respond(new Authentication.Ok())).isInstanceOf(ScramException.class);
    }

    @Test
    void aPasswordIsNotSentInTheMiddleOfAScramExchange() {
        for (Authentication weaker : List.<Authentication>of(new Authentication.CleartextPassword(),
                new Authentication.Md5Password(dev.pgtenant.protocol.ByteString.copyOf(new byte[4])))) {
            ClientLogin login = ClientLogin.withPassword("u", "pw");
            login.respond(SCRAM);
            assertThatThrownBy(() -> login.respond(weaker)).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("in the middle of a SCRAM exchange");
        }
    }

    @Test
    void aServerThatTrustsTheClientNeedsNoProof() {
        ClientLogin login = ClientLogin.withPassword("u", "pw");
        assertThat(login.respond(new Authentication.Ok())).isEmpty();
        assertThat(login.authenticated()).isTrue();
    }
}
