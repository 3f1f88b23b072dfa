package dev.pgtenant.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.Terminate;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.testkit.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both sides of authentication checked against a real PostgreSQL server. */
class AuthenticationAgainstPostgresTest {

    private static final String PASSWORD = "Pässword-42";
    private static TestPostgres postgres;

    @BeforeAll
    static void start() {
        postgres = TestPostgres.get();
    }

    private static String createRole(String encryption, String group) {
        String role = "auth_" + encryption.replace('-', '_') + "_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        postgres.execute("SET password_encryption = '" + encryption + "'",
                "CREATE ROLE " + role + " LOGIN PASSWORD '" + PASSWORD + "'"
                        + (group == null ? "" : " IN ROLE " + group));
        return role;
    }

    private static String storedPassword(String role) throws SQLException {
        try (Connection connection = postgres.connect();
             PreparedStatement statement = connection.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ?")) {
            statement.setString(1, role);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).isTrue();
                return rows.getString(1);
            }
        }
    }

    @Test
    void verifierStoredByPostgresqlVerifiesThePassword() throws SQLException {
        ScramVerifier verifier = ScramVerifier.parse(storedPassword(createRole("scram-sha-256", null)));
        assertThat(verifier.matches(PASSWORD)).isTrue();
        assertThat(verifier.matches("wrong")).isFalse();

        ScramServerExchange server = ScramServerExchange.forVerifier(verifier);
        ScramClientExchange client = new ScramClientExchange(ScramCredentials.password(PASSWORD));
        ByteString clientFinal = client.handleServerFirst(server.handleClientFirst(client.clientFirstMessage()));
        client.handleServerFinal(server.handleClientFinal(clientFinal));
    }

    @Test
    void clientLogsInWithScram() throws IOException {
        String role = createRole("scram-sha-256", null);
        List<Integer> asked = new ArrayList<>();
        assertThat(loginAndAskCurrentUser(ClientLogin.withPassword(role, PASSWORD), role, asked)).isEqualTo(role);
        if (postgres.embedded()) {
            assertThat(asked).containsExactly(Authentication.SASL, Authentication.SASL_CONTINUE,
                    Authentication.SASL_FINAL, Authentication.OK);
        }
    }

    @Test
    void clientLogsInWithTheClientKeyOfAnotherClientsExchange() throws IOException, SQLException {
        String role = createRole("scram-sha-256", null);
        ScramVerifier verifier = ScramVerifier.parse(storedPassword(role));
        ScramServerExchange proxySide = ScramServerExchange.forVerifier(verifier);
        ScramClientExchange application = new ScramClientExchange(ScramCredentials.password(PASSWORD));
        ByteString clientFinal = application.handleServerFirst(proxySide.handleClientFirst(application.clientFirstMessage()));
        application.handleServerFinal(proxySide.handleClientFinal(clientFinal));

        ClientLogin login = ClientLogin.withScram(role, verifier.credentialsWithClientKey(proxySide.clientKey()),
                ScramClientExchange.DEFAULT_MAX_ITERATIONS);
        assertThat(loginAndAskCurrentUser(login, role, new ArrayList<>())).isEqualTo(role);
    }

    @Test
    void wrongScramPasswordIsRefusedByTheServer() throws IOException {
        String role = createRole("scram-sha-256", null);
        if (!postgres.embedded()) {
            return;
        }
        try (BlockingWire wire = BlockingWire.connect(postgres.host(), postgres.port())) {
            ErrorResponse error = login(wire, ClientLogin.withPassword(role, "not the password"), role, new ArrayList<>())
                    .orElseThrow(() -> new AssertionError("a wrong password was accepted"));
            assertThat(error.sqlState()).isEqualTo("28P01");
        }
    }

    @Test
    void clientLogsInWithMd5() throws IOException {
        String role = createRole("md5", TestPostgres.MD5_LOGIN);
        List<Integer> asked = new ArrayList<>();
        assertThat(loginAndAskCurrentUser(ClientLogin.withPassword(role, PASSWORD), role, asked)).isEqualTo(role);
        if (postgres.embedded()) {
            assertThat(asked).containsExactly(Authentication.MD5_PASSWORD, Authentication.OK);
        }
    }

    @Test
    void clientLogsInWithCleartext() throws IOException {
        String role = createRole("scram-sha-256", TestPostgres.CLEARTEXT_LOGIN);
        List<Integer> asked = new ArrayList<>();
        assertThat(loginAndAskCurrentUser(ClientLogin.withPassword(role, PASSWORD), role, asked)).isEqualTo(role);
        if (postgres.embedded()) {
            assertThat(asked).containsExactly(Authentication.CLEARTEXT_PASSWORD, Authentication.OK);
        }
    }

    @Test
    void loginWithoutAPasswordFailsClearlyWhenOneIsAsked() throws IOException {
        String role = createRole("scram-sha-256", null);
        if (!postgres.embedded()) {
            return;
        }
        try (BlockingWire wire = BlockingWire.connect(postgres.host(), postgres.port())) {
            assertThatThrownBy(() -> login(wire, ClientLogin.withPassword(role, null), role, new ArrayList<>()))
                    .isInstanceOf(dev.pgtenant.protocol.ProtocolException.class)
                    .hasMessageContaining("no password is configured");
        }
    }

    /** Logs in, runs {@code SELECT current_user} with the simple protocol, returns the answer. */
    private static String loginAndAskCurrentUser(ClientLogin login, String role, List<Integer> asked) throws IOException {
        try (BlockingWire wire = BlockingWire.connect(postgres.host(), postgres.port())) {
            Optional<ErrorResponse> error = login(wire, login, role, asked);
            assertThat(error).isEmpty();
            assertThat(login.authenticated()).isTrue();
            awaitReady(wire);
            wire.send(new Query("SELECT current_user"));
            assertThat(wire.receive()).isInstanceOf(RowDescription.class);
            DataRow row = (DataRow) wire.receive();
            assertThat(wire.receive()).isEqualTo(new CommandComplete("SELECT 1"));
            awaitReady(wire);
            wire.send(new Terminate());
            return new String(row.values().get(0).toByteArray(), StandardCharsets.UTF_8);
        }
    }

    /** Runs the authentication exchange; an ErrorResponse from the server ends it. */
    private static Optional<ErrorResponse> login(BlockingWire wire, ClientLogin login, String role, List<Integer> asked)
            throws IOException {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", role);
        parameters.put("database", "postgres");
        wire.send(new StartupMessage(parameters));
        while (!login.authenticated()) {
            BackendMessage message = wire.receive();
            if (message instanceof ErrorResponse error) {
                return Optional.of(error);
            }
            Authentication request = (Authentication) message;
            asked.add(request.code());
            Optional<dev.pgtenant.protocol.message.frontend.FrontendMessage> answer = login.respond(request);
            if (answer.isPresent()) {
                wire.send(answer.get());
            }
        }
        return Optional.empty();
    }

    private static void awaitReady(BlockingWire wire) throws IOException {
        for (int i = 0; i < 100; i++) {
            BackendMessage message = wire.receive();
            if (message instanceof ReadyForQuery) {
                return;
            }
            assertThat(message).isNotInstanceOf(ErrorResponse.class);
        }
        throw new AssertionError("no ReadyForQuery within 100 messages");
    }
}
