package dev.pgtenant.proxy.backend;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.auth.ClientLogin;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.MessageHandler;
import dev.pgtenant.protocol.codec.MessageScanner;
import dev.pgtenant.protocol.codec.MessageWriter;
import dev.pgtenant.protocol.codec.RunWriter;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.BackendKeyData;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ParameterStatus;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.ReadyForQuery.TransactionStatus;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.proxy.transaction.BackendStatements;
import dev.pgtenant.proxy.transaction.SessionStateScanner;
import dev.pgtenant.proxy.transaction.SharedSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection from the proxy to a backend database: logs in, then hands every message to its
 * current {@link BackendUser}. Knows what the proxy must about the backend session: its key for
 * cancels, its reported parameters, and its transaction status. All methods run on the channel's
 * event loop unless noted. Reads with a {@link MessageScanner} of its own, so that its user can relay
 * messages where they lie in the read buffer.
 */
public final class BackendConnection extends ChannelInboundHandlerAdapter implements MessageHandler {

    private static final Logger log = LoggerFactory.getLogger(BackendConnection.class);

    private final BackendTarget target;
    private final ClientLogin login;
    private final Executor blockingWork;
    private final CompletableFuture<BackendConnection> ready = new CompletableFuture<>();
    private final Map<String, String> parameters = new LinkedHashMap<>();
    /** The reported parameters as the login left them, which is where RESET ALL brings them back. */
    private Map<String, String> loginParameters = Map.of();
    /** The startup settings of the last client whose login applied them here, and the parameters they led to. */
    private Map<String, String> clientSettings;
    private Map<String, String> parametersAfterClientSettings;
    private final Map<String, String> appliedSettings = new LinkedHashMap<>();
    private final BackendStatements statements;
    private final long createdNanos = System.nanoTime();
    private volatile long lastReleasedNanos = createdNanos;
    private Channel channel;
    private RunWriter output;
    private BackendKeyData key;
    private volatile TransactionStatus status = TransactionStatus.IDLE;
    private volatile BackendUser user;
    private String closeReason;
    private boolean closed;
    private volatile boolean settingsChanged;
    /** Set by {@link #close}: the connection is not to be handed out, even before its channel closes. */
    private volatile boolean closing;
    /** Why the connection must not serve another client once its current one lets it go; null when it may. */
    private volatile String unfitForNext;
    /** Incremented by every ParameterStatus after login, so a settled check sees any change since. */
    private volatile int parameterChanges;
    /** {@link #parameterStatusMessages}, with the {@link #parameterChanges} count it was encoded at. */
    private volatile EncodedParameters encodedParameters;
    /** {@link #reportedParameters}, with the {@link #parameterChanges} count it was gathered at. */
    private volatile GatheredParameters reportedParameters;
    private Map<String, String> settledStartup;
    private Map<String, String> settledReported;
    private int settledAtChange;
    private ScheduledFuture<?> loginTimeout;
    private final Duration loginTimeoutDuration;
    private final MessageScanner scanner;

    public BackendConnection(BackendTarget target, ClientLogin login, Executor blockingWork, Duration loginTimeout,
                             int maxPreparedStatements, int maxMessageSize) {
        this.scanner = MessageScanner.relaying(maxMessageSize);
        this.statements = new BackendStatements(maxPreparedStatements);
        this.target = target;
        this.login = login;
        this.blockingWork = blockingWork;
        this.loginTimeoutDuration = loginTimeout;
    }

    /** Completes once logged in and ready for queries; fails with a ProtocolException saying why not. */
    public CompletableFuture<BackendConnection> ready() {
        return ready;
    }

    public BackendTarget target() {
        return target;
    }

    public Channel channel() {
        return channel;
    }

    /** The backend's process id and secret, as it would tell a direct client. */
    public BackendKeyData key() {
        return key;
    }

    /** The parameters the backend has reported so far (server_version, TimeZone, ...). */
    public Map<String, String> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    private record EncodedParameters(int atChange, byte[] messages) {
    }

    private record GatheredParameters(int atChange, Map<String, String> values) {
    }

    /**
     * {@link #parameters} as the ParameterStatus messages a client's login is sent, encoded again
     * only after a change: every login on the connection sends the same ones. Runs on the client's
     * loop, like {@link #isAsLoginWith}, while the client holds the connection. The count is read
     * before the map, so a change that lands while they are encoded makes the next call encode again.
     */
    public byte[] parameterStatusMessages() {
        int changes = parameterChanges;
        EncodedParameters encoded = encodedParameters;
        if (encoded == null || encoded.atChange() != changes) {
            encoded = new EncodedParameters(changes, MessageWriter.toBytes(out -> parameters.forEach(
                    (name, value) -> new ParameterStatus(name, value).encode(out))));
            encodedParameters = encoded;
        }
        return encoded.messages();
    }

    /**
     * The parameters a transaction-mode session carries from backend to backend
     * ({@link SessionStateScanner#isReported}), as {@code shared} keeps them. Gathered again only
     * after a change: every login on the connection asks, and sorting them out of the rest took a
     * microsecond of each. Runs on the client's loop, as {@link #parameterStatusMessages} does.
     */
    public Map<String, String> reportedParameters(SharedSettings shared) {
        int changes = parameterChanges;
        GatheredParameters gathered = reportedParameters;
        if (gathered == null || gathered.atChange() != changes) {
            Map<String, String> found = new LinkedHashMap<>();
            parameters.forEach((name, value) -> {
                if (SessionStateScanner.isReported(name)) {
                    found.put(name, value);
                }
            });
            gathered = new GatheredParameters(changes, shared.share(found));
            reportedParameters = gathered;
        }
        return gathered.values();
    }

    /**
     * Whether the connection is as a client's login with these startup settings would leave it (RESET
     * ALL, then the settings applied), as far as the proxy sees: reported parameters and the settings
     * it applied. True when there are none and the connection has its login values, or when the last
     * client whose settings a login applied here had the same ones and nothing has changed since.
     * Values are compared as the server reported them after being set, so {@code utf8} matches the
     * {@code UTF8} it became. Runs on the event loop of the client the pool handed the connection to,
     * which reads the parameters as {@code activate} does: an idle backend is not expected to report
     * a change while this runs.
     */
    public boolean isAsLoginWith(Map<String, String> settings, Map<String, String> unreported) {
        Map<String, String> expected = settings.isEmpty() ? loginParameters
                : settings.equals(clientSettings) ? parametersAfterClientSettings : null;
        return expected != null && parameters.equals(expected) && appliedSettings.equals(unreported);
    }

    /** A client's login applied these startup settings, after a RESET ALL when the connection needed one. */
    public void clientSettingsApplied(Map<String, String> settings, Map<String, String> unreported) {
        replaceAppliedSettings(unreported);
        clientSettings = Map.copyOf(settings);
        parametersAfterClientSettings = Map.copyOf(parameters);
    }

    /**
     * A session ended here without a reset (an empty {@code pool.resetQuery}): it may have changed
     * settings the proxy did not see, so no later login may take the connection to be as the last one
     * left it.
     */
    public void forgetClientSettings() {
        clientSettings = null;
        parametersAfterClientSettings = null;
    }

    public TransactionStatus status() {
        return status;
    }

    /**
     * Settings the proxy applied for the client now using this connection, beyond the ones the
     * server reports; compared with the next client's to apply only what differs.
     */
    public Map<String, String> appliedSettings() {
        return Collections.unmodifiableMap(appliedSettings);
    }

    /** The proxy brought the connection's unreported settings to these. */
    public void replaceAppliedSettings(Map<String, String> settings) {
        appliedSettings.clear();
        appliedSettings.putAll(settings);
        settledStartup = null;
    }

    /**
     * Whether the connection is known to have these settings, compared by identity: they are the
     * ones {@link #settle} last recorded, and neither the server's parameters nor the applied
     * settings changed since. Lets a relay skip comparing settings map by map on every transaction.
     * Runs on the event loop of the client holding the connection.
     */
    public boolean settledFor(Map<String, String> startup, Map<String, String> reported) {
        return settledStartup == startup && settledReported == reported && settledAtChange == parameterChanges;
    }

    /**
     * How many ParameterStatus messages the connection has had since login. Read it before comparing
     * or applying settings and pass it to {@link #settle}: one that arrives meanwhile, on the
     * connection's own event loop, then still counts as a change.
     */
    public int parameterChanges() {
        return parameterChanges;
    }

    /**
     * The connection has been found or made to have these settings, as of {@code changesSeen}
     * ({@link #parameterChanges}); {@link #settledFor} checks against it.
     */
    public void settle(Map<String, String> startup, Map<String, String> reported, int changesSeen) {
        settledStartup = startup;
        settledReported = reported;
        settledAtChange = changesSeen;
    }

    /** The statements prepared on this connection by transaction-mode sessions. */
    public BackendStatements statements() {
        return statements;
    }

    /** The reset query ran: settings are back to the server's defaults and no statement is prepared. */
    public void resetDone() {
        forgetClientSettings();
        replaceAppliedSettings(Map.of());
        statements.clear();
        settingsChanged = false;
    }

    /** A transaction-mode client used the connection without a reset: its settings may differ from the defaults. */
    public void markSettingsChanged() {
        settingsChanged = true;
    }

    /** Whether a client left settings behind that the next session must reset first. */
    public boolean settingsChanged() {
        return settingsChanged;
    }

    public long createdNanos() {
        return createdNanos;
    }

    public long lastReleasedNanos() {
        return lastReleasedNanos;
    }

    /** {@code nanos}: {@link System#nanoTime()} at the release, read once by the pool for all it checks. */
    public void markReleased(long nanos) {
        lastReleasedNanos = nanos;
    }

    public boolean isOpen() {
        return channel != null && !closing && channel.isActive();
    }

    /**
     * The connection may serve its current client on, but no other: the pool closes it when it comes
     * back. From any thread.
     */
    public void markUnfitForNext(String reason) {
        unfitForNext = reason;
    }

    /** Why the connection must not serve another client; null when it may. */
    public String unfitForNext() {
        return unfitForNext;
    }

    /**
     * Hands the connection's messages to {@code next}; {@code null} while it sits in the pool. Call on
     * the connection's event loop. Reading is switched back on, since a previous user may have paused
     * it for back-pressure; a user that arrives after the connection died is told at once.
     */
    public void setUser(BackendUser next) {
        this.user = next;
        if (channel != null) {
            channel.config().setAutoRead(true);
        }
        if (next != null && closed) {
            this.user = null;
            next.backendClosed(closeReason != null ? closeReason : "the backend closed the connection");
        }
    }

    /**
     * Back-pressure toward this backend: reads from it only while {@code peer} can take more writes.
     * Decided on this connection's loop, with the peer's writability as it is then.
     */
    public void readWhileWritable(Channel peer) {
        onLoop(() -> channel.config().setAutoRead(peer.isWritable()));
    }

    /** Runs {@code task} on the connection's event loop: where its user may be changed. */
    public void onLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }

    /**
     * Runs {@code task} with this connection and {@code argument} on the connection's event loop. For
     * every transaction's hand-over: given a method reference that captures nothing, it allocates
     * nothing when called on that loop.
     */
    public <T> void onLoop(BiConsumer<BackendConnection, T> task, T argument) {
        if (channel.eventLoop().inEventLoop()) {
            task.accept(this, argument);
        } else {
            channel.eventLoop().execute(() -> task.accept(this, argument));
        }
    }

    public BackendUser user() {
        return user;
    }

    /**
     * Forwards bytes as they are; the caller flushes. Safe from any thread. A failed write closes
     * the channel through the pipeline, so no future is made per message.
     */
    public void write(Object message) {
        channel.write(message, channel.voidPromise());
    }

    public void flush() {
        channel.flush();
    }

    /**
     * Where a user relaying a client's messages writes them, on the client's event loop: messages
     * lying one after the other in a client's read go out as one write. Only the connection's
     * current user touches it, and writes its run before giving the connection up.
     */
    public RunWriter output() {
        return output;
    }

    public void send(FrontendMessage message) {
        ByteBuf buf = channel.alloc().buffer();
        message.encode(buf);
        channel.writeAndFlush(buf);
    }

    /** Closes the connection, logging why. Safe from any thread; later calls keep the first reason. */
    public void close(String reason) {
        if (channel == null) {
            return;
        }
        // Seen by the pool at once, from any loop: the close itself waits its turn on this connection's loop.
        closing = true;
        channel.eventLoop().execute(() -> {
            if (closeReason == null) {
                closeReason = reason;
                log.info("closing backend connection to {}: {}", target.describe(), reason);
            }
            channel.close();
        });
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.channel = ctx.channel();
        this.output = new RunWriter(channel);
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("user", target.user());
        startup.put("database", target.database());
        startup.put("application_name", "pgtenant");
        ByteBuf buf = ctx.alloc().buffer();
        new StartupMessage(startup).encode(buf);
        ctx.writeAndFlush(buf);
        loginTimeout = ctx.executor().schedule(() -> failLogin(new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION,
                "the backend did not complete the login within " + loginTimeoutDuration.toSeconds() + "s")),
                loginTimeoutDuration.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        scanner.read((ByteBuf) msg, ctx.alloc(), this);
    }

    @Override
    public boolean message(byte type, ByteBuf buffer, int index, int length, int count) {
        if (!ready.isDone()) {
            Frame frame = Frame.of(type, buffer, index, length, count);
            try {
                handleLogin(frame);
            } finally {
                frame.release();
            }
            return true;
        }
        if (type == 'Z') {
            TransactionStatus reported = length == Frame.HEADER_LENGTH + 1
                    ? TransactionStatus.valueOf(buffer.getByte(index + Frame.HEADER_LENGTH)) : null;
            if (reported == null) {
                close("malformed ReadyForQuery from the backend");
                return true;
            }
            status = reported;
        } else if (type == 'S') {
            recordParameter(buffer.slice(index + Frame.HEADER_LENGTH, length - Frame.HEADER_LENGTH));
        }
        BackendUser current = user;
        if (current != null) {
            current.backendMessage(type, buffer, index, length, count);
        } else if (type != 'S' && type != 'N') {
            close("unexpected message " + (char) type + " while idle in the pool");
        }
        return true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        BackendUser current = user;
        if (current != null) {
            current.backendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        BackendUser current = user;
        if (current != null) {
            current.backendWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        scanner.discard();
        if (loginTimeout != null) {
            loginTimeout.cancel(false);
        }
        String reason = closeReason != null ? closeReason : "the backend closed the connection";
        if (closeReason == null) {
            log.info("backend connection to {} ended: {}", target.describe(), reason);
        }
        ready.completeExceptionally(new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION,
                "could not log in to " + target.describe() + ": " + reason));
        BackendUser current = user;
        user = null;
        if (current != null) {
            current.backendClosed(reason);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof java.nio.channels.ClosedChannelException) {
            // A relayed write failed because the channel closed: channelInactive tells why, once.
            return;
        }
        close("error on the backend connection: " + cause.getMessage());
    }

    private void recordParameter(ByteBuf body) {
        try {
            ParameterStatus status = (ParameterStatus) BackendMessages.decode((byte) 'S', body);
            parameters.put(status.name(), status.value());
            parameterChanges++;
        } catch (ProtocolException e) {
            close("malformed ParameterStatus from the backend: " + e.getMessage());
        }
    }

    private void handleLogin(Frame frame) {
        BackendMessage message;
        try {
            message = BackendMessages.decode(frame);
        } catch (ProtocolException e) {
            failLogin(e);
            return;
        }
        if (message instanceof Authentication request) {
            respond(request);
        } else if (message instanceof ErrorResponse error) {
            failLogin(new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION,
                    "the backend refused the login to " + target.describe() + ": " + error.message()
                            + " (SQLSTATE " + error.sqlState() + ")"));
        } else if (message instanceof ParameterStatus parameter) {
            parameters.put(parameter.name(), parameter.value());
        } else if (message instanceof BackendKeyData backendKey) {
            key = backendKey;
        } else if (message instanceof ReadyForQuery ready) {
            if (!login.authenticated()) {
                // Whatever answers at the backend's address must have accepted the login: a server that
                // never sent AuthenticationOk is not the one the registry names.
                failLogin(new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION, "the backend at "
                        + target.describe() + " reported ready without completing the login"));
                return;
            }
            status = ready.status();
            loginParameters = Map.copyOf(parameters);
            loginTimeout.cancel(false);
            this.ready.complete(this);
        }
    }

    /** PBKDF2 for SCRAM runs off the event loop; the answer is written back on it. */
    private void respond(Authentication request) {
        if (request instanceof Authentication.SaslContinue) {
            blockingWork.execute(() -> {
                Optional<FrontendMessage> answer;
                try {
                    answer = login.respond(request);
                } catch (RuntimeException e) {
                    channel.eventLoop().execute(() -> failLogin(e));
                    return;
                }
                channel.eventLoop().execute(() -> answer.ifPresent(this::send));
            });
            return;
        }
        try {
            login.respond(request).ifPresent(this::send);
        } catch (RuntimeException e) {
            failLogin(e);
        }
    }

    private void failLogin(RuntimeException cause) {
        ProtocolException problem = cause instanceof ProtocolException p ? p
                : new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION, cause.getMessage(), cause);
        if (ready.completeExceptionally(problem)) {
            close("login failed: " + problem.getMessage());
        }
    }

    @Override
    public String toString() {
        return "BackendConnection[" + target.describe() + (key == null ? "" : ", pid " + key.processId()) + "]";
    }
}
