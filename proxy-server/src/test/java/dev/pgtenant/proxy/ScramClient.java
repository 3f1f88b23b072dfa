package dev.pgtenant.proxy;

import dev.pgtenant.protocol.auth.ClientLogin;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import java.io.IOException;

/** A raw client that logs in properly, then lets a test misbehave. */
final class ScramClient implements AutoCloseable {

    private final RawClient raw;

    private ScramClient(RawClient raw) {
        this.raw = raw;
    }

    static ScramClient login(int port, String user, String password) throws IOException {
        return login(new RawClient(port), user, password);
    }

    static ScramClient login(RawClient raw, String user, String password) throws IOException {
        return login(raw, user, password, "app");
    }

    static ScramClient login(RawClient raw, String user, String password, String database) throws IOException {
        return login(raw, password, java.util.Map.of("user", user, "database", database));
    }

    /** Logs in with these startup parameters, which name the user. */
    static ScramClient login(RawClient raw, String password, java.util.Map<String, String> startup) throws IOException {
        String user = startup.get("user");
        raw.startup(startup);
        ClientLogin login = ClientLogin.withPassword(user, password);
        while (!login.authenticated()) {
            BackendMessage message = raw.receive();
            if (message instanceof ErrorResponse error) {
                throw new IOException("login failed: " + error.message());
            }
            login.respond((Authentication) message).ifPresent(answer -> {
                try {
                    raw.send(answer);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        return new ScramClient(raw);
    }

    RawClient raw() {
        return raw;
    }

    /** Reads up to the next ReadyForQuery and returns its status. */
    ReadyForQuery.TransactionStatus awaitReady() throws IOException {
        return awaitReady(raw);
    }

    /** Reads up to the next ReadyForQuery on {@code raw} and returns its status; fails on an error. */
    static ReadyForQuery.TransactionStatus awaitReady(RawClient raw) throws IOException {
        for (int i = 0; i < 1000; i++) {
            BackendMessage message = raw.receive();
            if (message instanceof ReadyForQuery ready) {
                return ready.status();
            }
            if (message instanceof ErrorResponse error) {
                throw new IOException("error: " + error.message());
            }
        }
        throw new IOException("no ReadyForQuery within 1000 messages");
    }

    @Override
    public void close() throws IOException {
        raw.close();
    }
}
