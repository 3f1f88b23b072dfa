package dev.pgtenant.proxy.backend;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.frontend.Query;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletableFuture;

/**
 * A simple-protocol query the proxy runs on its own behalf (a client's SET parameters, the reset
 * before a connection goes back to the pool). Its results reach no client: the future gives the
 * first error, if any, once the backend is ready again.
 */
public final class BackendQuery implements BackendUser {

    private final BackendConnection connection;
    private final CompletableFuture<Optional<ErrorResponse>> done = new CompletableFuture<>();
    private ErrorResponse firstError;

    private BackendQuery(BackendConnection connection) {
        this.connection = connection;
    }

    /**
     * Runs {@code sql}; the future completes on the backend's event loop. A backend that does not
     * answer within {@code timeout} has its connection closed, which fails the future.
     */
    public static CompletableFuture<Optional<ErrorResponse>> run(BackendConnection connection, String sql,
                                                                 Duration timeout) {
        BackendQuery query = new BackendQuery(connection);
        connection.onLoop(() -> {
            if (!connection.isOpen()) {
                query.done.completeExceptionally(closed("the backend connection is closed"));
                return;
            }
            connection.setUser(query);
            connection.send(new Query(sql));
            ScheduledFuture<?> deadline = connection.channel().eventLoop().schedule(
                    () -> connection.close("no answer to an internal query within " + timeout.toSeconds() + "s"),
                    timeout.toMillis(), TimeUnit.MILLISECONDS);
            query.done.whenComplete((result, failure) -> deadline.cancel(false));
        });
        return query.done;
    }

    @Override
    public void backendFrame(Frame frame) {
        try {
            if (frame.type() == 'E' && firstError == null) {
                firstError = (ErrorResponse) BackendMessages.decode(frame);
            } else if (frame.type() == 'Z') {
                connection.setUser(null);
                done.complete(Optional.ofNullable(firstError));
            }
        } catch (ProtocolException e) {
            connection.setUser(null);
            connection.close("malformed reply to an internal query: " + e.getMessage());
            done.completeExceptionally(e);
        } finally {
            frame.release();
        }
    }

    @Override
    public void backendClosed(String reason) {
        done.completeExceptionally(closed(reason));
    }

    private static ProtocolException closed(String reason) {
        return new ProtocolException(SqlState.CONNECTION_FAILURE, "lost the backend connection: " + reason);
    }
}
