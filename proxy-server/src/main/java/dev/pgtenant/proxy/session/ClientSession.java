package dev.pgtenant.proxy.session;

import dev.pgtenant.config.PoolMode;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.SharedDatabase;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.auth.ScramException;
import dev.pgtenant.protocol.auth.ScramServerExchange;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.protocol.codec.Direction;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.FrameDecoder;
import dev.pgtenant.protocol.codec.MessageHandler;
import dev.pgtenant.protocol.codec.MessageScanner;
import dev.pgtenant.protocol.codec.MessageWriter;
import dev.pgtenant.protocol.codec.RunWriter;
import dev.pgtenant.protocol.codec.StartupPacketDecoder;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.BackendKeyData;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ParameterStatus;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.frontend.FrontendMessages;
import dev.pgtenant.protocol.message.frontend.FrontendMessages.AuthResponseKind;
import dev.pgtenant.protocol.message.frontend.SaslInitialResponse;
import dev.pgtenant.protocol.message.frontend.SaslResponse;
import dev.pgtenant.protocol.message.startup.CancelRequest;
import dev.pgtenant.protocol.message.startup.GssEncRequest;
import dev.pgtenant.protocol.message.startup.SslRequest;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.proxy.admin.AdminConsole;
import dev.pgtenant.proxy.backend.BackendConnection;
import dev.pgtenant.proxy.backend.BackendQuery;
import dev.pgtenant.proxy.pool.BackendPool;
import dev.pgtenant.proxy.routing.Router;
import dev.pgtenant.proxy.routing.RoutingDecision;
import dev.pgtenant.proxy.transaction.TransactionRelay;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, from its first byte to its close: startup, SCRAM authentication against
 * the registry, routing, a first backend connection (which tells the client the server's
 * parameters), then a {@link Relay} for the pool mode that carries the traffic.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter implements MessageHandler {

    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    /** Before authentication a client has no business sending large messages. */
    private static final int MAX_AUTH_MESSAGE_SIZE = 8192;
    /** Messages a client may send before its session is ready are held, up to this many bytes. */
    private static final int MAX_PENDING_BYTES = 1024 * 1024;
    /** How long the error that ends a session may wait for the client to read it. */
    private static final long FATAL_WRITE_GRACE_SECONDS = 5;

    /** What every login is asked first, encoded once. */
    private static final byte[] SASL_REQUEST =
            MessageWriter.toBytes(new Authentication.Sasl(List.of(ScramServerExchange.MECHANISM))::encode);

    private enum State { STARTUP, AUTHENTICATING, CONNECTING, ACTIVE, CLOSED }

    private final ProxyContext context;
    /** Frames that arrived before the session was ready; allocated only for a client that sends them. */
    private ArrayDeque<Frame> pending;
    private ChannelHandlerContext ctx;
    private State state = State.STARTUP;
    /** The startup packet and the parameters read from it, until the session is active. */
    private StartupMessage startup;
    private SessionParameters parameters;
    /** Who the client said it is, for logs. */
    private String userName;
    private ScramServerExchange scram;
    private boolean saslStarted;
    /**
     * Where the session goes: the registry's Organization or SharedDatabase itself, shared by all its
     * sessions (of which many may be idle), or a label. Volatile: {@link LiveSessions#endSessions}
     * reads it from the thread applying a registry change.
     */
    private volatile Object destination;
    /** The database the client asked for (its user name when it named none); set just before the destination. */
    private String requestedDatabase;
    private PoolMode mode;
    private BackendPool pool;
    private Object poolTicket;
    private volatile Relay relay;
    /**
     * The cancel key the client is given, as two ints rather than a message object an idle session
     * would keep; the backends' own keys stay with pgtenant. Set by {@link LiveSessions#add} before
     * other threads can find the session, and not changed after.
     */
    private int processId;
    private int secretKey;
    private ScheduledFuture<?> authenticationTimeout;
    private int pendingBytes;
    /**
     * Messages to the client not yet flushed, in one buffer: from the end of authentication to
     * ReadyForQuery a login's replies go out in one write, and the client wakes once for them.
     */
    private ByteBuf reply;
    private String closeReason;
    /** Reads the client's messages once it has logged in; until then a {@link FrameDecoder} frames them. */
    private MessageScanner scanner;
    private RunWriter output;

    public ClientSession(ProxyContext context) {
        this.context = context;
    }

    int processId() {
        return processId;
    }

    int secretKey() {
        return secretKey;
    }

    void key(int processId, int secretKey) {
        this.processId = processId;
        this.secretKey = secretKey;
    }

    // ---- what relays use ----

    public Channel channel() {
        return ctx.channel();
    }

    /**
     * Where relays write to the client, on its event loop: messages lying one after the other in a
     * backend's read go out as one write.
     */
    public RunWriter output() {
        return output;
    }

    public EventExecutor executor() {
        return ctx.executor();
    }

    public ProxyContext context() {
        return context;
    }

    /** Where the session goes, for messages: "organization 101". */
    public String destination() {
        return nameOf(destination);
    }

    /** Whether the session is on a shared database, whose pool is its user's home organization's. */
    public boolean onSharedDatabase() {
        return destination instanceof SharedDatabase;
    }

    /** A destination as messages name it: "organization 101", "shared database main", "the admin console". */
    public static String nameOf(Object to) {
        if (to instanceof Organization org) {
            return "organization " + org.id();
        }
        if (to instanceof SharedDatabase database) {
            return "shared database " + database.name();
        }
        return (String) to;
    }

    /**
     * The user the session logged in as, once routed, else {@code null}. Read by the thread applying a
     * registry change: reading the volatile destination first makes the name, set before it, visible.
     */
    public String userName() {
        return destination == null ? null : userName;
    }

    /** The database the client asked for, once routed, else {@code null}; readable as {@link #userName()} is. */
    public String requestedDatabase() {
        return destination == null ? null : requestedDatabase;
    }

    /** Whether the session is closing or closed: nothing more of the client's is to be run. */
    public boolean ending() {
        return state == State.CLOSED || closeReason != null;
    }

    /** Who this is, for logs: user, address and destination. */
    public String describe() {
        return describeClient();
    }

    /** Sends a FATAL error and closes; the first reason is the one logged. */
    public void fatal(SqlState sqlState, String message) {
        fatal(sqlState.code(), message);
    }

    public void fatal(String sqlState, String message) {
        if (ending()) {
            return;
        }
        closeReason = message + " (SQLSTATE " + sqlState + ")";
        // A refused StartupMessage leaves the startup decoder in place, keeping all that follows it;
        // without it, what the client still sends reaches channelRead, which drops it.
        if (ctx.pipeline().get(StartupPacketDecoder.class) != null) {
            ctx.pipeline().remove(StartupPacketDecoder.class);
        }
        Relay current = relay;
        if (current != null && current.midMessage()) {
            closeReason += "; closed without sending the error, which would have landed inside a row the client was receiving";
            ctx.close();
            return;
        }
        ChannelFuture written;
        try {
            written = writeAndFlush(ErrorResponse.of(ErrorResponse.Severity.FATAL, sqlState, message, null));
        } catch (RuntimeException unwritable) {
            log.error("could not send the error that ends the session of {}", describeClient(), unwritable);
            ctx.close();
            return;
        }
        written.addListener(ChannelFutureListener.CLOSE);
        if (!written.isDone()) {
            // A client that reads nothing would otherwise keep the connection, and all it sends, for as long as it likes.
            ctx.executor().schedule(() -> {
                if (ctx.channel().isOpen()) {
                    closeReason += "; closed without it, as the client did not read it within " + FATAL_WRITE_GRACE_SECONDS + " s";
                    ctx.close();
                }
            }, FATAL_WRITE_GRACE_SECONDS, TimeUnit.SECONDS);
        }
    }

    public void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        ctx.close();
    }

    // ---- channel events ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.output = new RunWriter(ctx.channel());
        context.sessions().add(this);
        long timeout = context.config().authenticationTimeout().toMillis();
        authenticationTimeout = ctx.executor().schedule(() -> fatal(SqlState.CONNECTION_FAILURE,
                "the connection was not ready within " + timeout / 1000 + "s of connecting; closing it"),
                timeout, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (ending()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            switch (state) {
                case STARTUP -> onStartupPacket(msg);
                case AUTHENTICATING -> onAuthenticationMessage((Frame) msg);
                case CONNECTING, ACTIVE -> {
                    if (msg instanceof ByteBuf bytes) {
                        scanner.read(bytes, ctx.alloc(), this);
                    } else {
                        ReferenceCountUtil.release(msg);
                    }
                }
                default -> ReferenceCountUtil.release(msg);
            }
        } catch (ProtocolException e) {
            fatal(e.sqlState(), e.getMessage());
        }
    }

    @Override
    public boolean message(byte type, ByteBuf buffer, int index, int length, int count) {
        if (ending()) {
            return false;
        }
        if (state == State.ACTIVE) {
            relay.clientMessage(type, buffer, index, length);
        } else {
            holdUntilReady(Frame.of(type, buffer, index, length, count));
        }
        return true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Relay current = relay;
        if (state == State.ACTIVE && current != null) {
            current.clientReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Relay current = relay;
        if (current != null) {
            current.clientWritabilityChanged();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable problem = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (problem instanceof java.nio.channels.ClosedChannelException) {
            // A relayed write failed because the channel closed: channelInactive tells why, once.
            return;
        }
        if (problem instanceof ProtocolException protocol) {
            fatal(protocol.sqlState(), protocol.getMessage());
        } else if (problem instanceof java.io.IOException) {
            close("connection error: " + problem.getMessage());
        } else if (problem instanceof java.util.concurrent.RejectedExecutionException) {
            close("pgtenant is shutting down");
        } else {
            log.error("unexpected error in the session of {}", describeClient(), problem);
            fatal(SqlState.INTERNAL_ERROR, "internal error in pgtenant; the session was closed");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (closeReason == null) {
            closeReason = state == State.ACTIVE || state == State.CONNECTING ? "the client disconnected"
                    : "the client disconnected during " + state.name().toLowerCase(java.util.Locale.ROOT);
        }
        log.info("session of {} ended: {}", describeClient(), closeReason);
        state = State.CLOSED;
        cancelAuthenticationTimeout();
        if (reply != null) {
            reply.release();
            reply = null;
        }
        if (scanner != null) {
            scanner.discard();
        }
        if (output != null) {
            output.discard();
        }
        if (pending != null) {
            pending.forEach(Frame::release);
            pending = null;
        }
        if (poolTicket != null) {
            pool.cancel(poolTicket);
        }
        context.sessions().remove(this);
        Relay current = relay;
        if (current != null) {
            current.clientClosed();
        }
    }

    /** Forwards a cancel to the backend running this session's query, if one is. */
    void cancelRunningQuery() {
        Relay current = relay;
        if (current != null) {
            current.cancel();
        }
    }

    // ---- startup and authentication ----

    private void onStartupPacket(Object packet) {
        if (packet instanceof StartupMessage message) {
            onStartupMessage(message);
        } else if (packet instanceof CancelRequest cancel) {
            ClientSession target = context.sessions().find(cancel.processId(), cancel.secretKey());
            if (target != null) {
                target.cancelRunningQuery();
            }
            close("cancel request handled");
        } else if (packet instanceof SslRequest || packet instanceof GssEncRequest) {
            // Not offered yet, so the client continues in plain text.
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'N'}));
        } else {
            ReferenceCountUtil.release(packet);
            throw ProtocolException.violation("expected a startup packet");
        }
    }

    private void onStartupMessage(StartupMessage message) {
        startup = message;
        userName = message.user();
        if (userName == null || userName.isEmpty()) {
            throw new ProtocolException(SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                    "no PostgreSQL user name specified in startup packet");
        }
        parameters = SessionParameters.from(message);
        User user = knownUserWithHome(context.registry(), userName);
        if (user != null) {
            // The registry's copy, shared by all of the user's sessions, rather than one per session.
            userName = user.name();
        }
        scram = user != null ? ScramServerExchange.forVerifier(user.verifier())
                : ScramServerExchange.forUnknownUser(userName, context.unknownUserSecret());
        state = State.AUTHENTICATING;
        message.negotiation().ifPresent(this::write);
        write(SASL_REQUEST);
        flushReply();
        // Last: replacing the decoder hands it any bytes already received, which re-enters this handler.
        ctx.pipeline().replace(StartupPacketDecoder.class, "frames",
                new FrameDecoder(Direction.FRONTEND, MAX_AUTH_MESSAGE_SIZE));
    }

    /**
     * Where a login of {@code user}, who has a home ({@link #knownUserWithHome}), asking for
     * {@code database} goes under {@code registry}: {@link AdminConsole#DESTINATION}, an Organization,
     * a SharedDatabase, or the Refused decision. Asked at login, and by a registry change for each
     * session of a changed user: one that would now go elsewhere ends.
     */
    public static Object loginDestination(Registry registry, Router router, User user, String database) {
        if (AdminConsole.DATABASE.equals(database) && user.admin()) {
            return AdminConsole.DESTINATION;
        }
        RoutingDecision decision = router.route(registry, user, database);
        if (decision instanceof RoutingDecision.ToOrganization to) {
            return to.organization();
        }
        if (decision instanceof RoutingDecision.ToSharedDatabase to) {
            return to.database();
        }
        return decision;
    }

    /**
     * Where a login of the user of that name asking for {@code database} goes under {@code registry}
     * (see {@link #loginDestination}); null when it would be refused.
     */
    public static Object routeOf(Registry registry, Router router, String userName, String database) {
        User user = knownUserWithHome(registry, userName);
        Object to = user == null ? null : loginDestination(registry, router, user, database);
        return to instanceof RoutingDecision.Refused ? null : to;
    }

    /**
     * Whether two destinations are the same route: the same name on the same backend login, as a
     * registry change compares them; an organization's pool mode, say, is not part of its route.
     */
    private static boolean sameRoute(Object routed, Object now) {
        return now != null && nameOf(routed).equals(nameOf(now)) && Objects.equals(backendOf(routed), backendOf(now));
    }

    private static BackendLogin backendOf(Object destination) {
        if (destination instanceof Organization org) {
            return org.backend();
        }
        return destination instanceof SharedDatabase shared ? shared.backend() : null;
    }

    /** Why a session ends when a registry change would route its login elsewhere, or refuse it. */
    public static String accessChanged(String userName, String destination) {
        return "user " + userName + "'s access to " + destination + " changed in the registry; reconnect";
    }

    /**
     * Ends the session if the registry changed while this login was routed by {@code routedBy} and
     * would now route it elsewhere. The change stores its snapshot before it looks at sessions, and
     * this reads the registry again after setting the destination: either the change saw this session
     * or this sees the change.
     */
    private boolean routedElsewhereMeanwhile(Registry routedBy) {
        Registry now = context.registry();
        if (now == routedBy || sameRoute(destination, routeOf(now, context.router(), userName, requestedDatabase))
                && (pool == null || pool.target().organization() == null
                        || pool.target().organization().equals(now.user(userName).map(User::org).orElse(null)))) {
            return false;
        }
        fatal(SqlState.ADMIN_SHUTDOWN, accessChanged(userName, destination()));
        return true;
    }

    /** The user of that name, if it has a home organization; a user without one may not log in. */
    public static User knownUserWithHome(Registry registry, String name) {
        User user = registry.user(name).orElse(null);
        if (user == null || user.org() == null || registry.organization(user.org()).isEmpty()) {
            return null;
        }
        return user;
    }

    private void onAuthenticationMessage(Frame frame) {
        try {
            if (frame.type() != 'p') {
                throw ProtocolException.violation("expected a SASL response during authentication, but got message type "
                        + Direction.describeType(frame.type()));
            }
            if (!saslStarted) {
                SaslInitialResponse initial = (SaslInitialResponse) FrontendMessages.decode(frame, AuthResponseKind.SASL_INITIAL);
                if (!ScramServerExchange.MECHANISM.equals(initial.mechanism())) {
                    throw ProtocolException.violation("client selected an invalid SASL authentication mechanism");
                }
                saslStarted = true;
                writeAndFlush(new Authentication.SaslContinue(scram.handleClientFirst(initial.data())));
                return;
            }
            SaslResponse response = (SaslResponse) FrontendMessages.decode(frame, AuthResponseKind.SASL);
            ByteString serverFinal = scram.handleClientFinal(response.data());
            ScramVerifier proven = scram.verifier();
            scram = null;
            authenticated(proven, serverFinal);
        } catch (ScramException e) {
            if (e.sqlState() == SqlState.INVALID_PASSWORD) {
                fatal(SqlState.INVALID_PASSWORD, "password authentication failed for user \"" + startup.user() + "\"");
            } else {
                fatal(e.sqlState(), e.getMessage());
            }
        } finally {
            frame.release();
        }
    }

    /**
     * {@code proven}: the verifier the client proved it knows the password of, read from the registry
     * when the login began; {@code serverFinal}: the server's proof for the client.
     */
    private void authenticated(ScramVerifier proven, ByteString serverFinal) {
        Registry registry = context.registry();
        User user = knownUserWithHome(registry, startup.user());
        // The registry may have changed during the exchange: a user removed and made again elsewhere
        // under the same name, or a new password, must not let the old password in.
        if (user == null || !user.verifier().equals(proven)) {
            fatal(SqlState.INVALID_PASSWORD, "password authentication failed for user \"" + startup.user() + "\"");
            return;
        }
        write(new Authentication.SaslFinal(serverFinal));
        // Not flushed: it goes with the session's first parameters (or the admin console's), or with
        // the error that ends it.
        write(new Authentication.Ok());
        String database = startup.database() == null ? startup.user() : startup.database();
        Object to = loginDestination(registry, context.router(), user, database);
        if (to instanceof RoutingDecision.Refused refused) {
            fatal(SqlState.INSUFFICIENT_PRIVILEGE, refused.message());
            return;
        }
        requestedDatabase = sharedCopy(database, to, user);
        if (to == AdminConsole.DESTINATION) {
            destination = to;
            if (routedElsewhereMeanwhile(registry)) {
                return;
            }
            activateAdminConsole();
            readOwnMessages();
            return;
        }
        PoolMode configured = context.poolMode();
        if (to instanceof Organization org) {
            destination = org;
            pool = context.pools().pool(context.target(org.backend()));
            configured = org.poolMode() != null ? org.poolMode() : configured;
        } else {
            SharedDatabase shared = (SharedDatabase) to;
            destination = shared;
            pool = context.pools().pool(context.target(shared.backend()).forOrganization(user.org()));
        }
        if (routedElsewhereMeanwhile(registry)) {
            return;
        }
        mode = user.poolMode() != null ? user.poolMode() : configured;
        state = State.CONNECTING;
        if (log.isDebugEnabled()) {
            log.debug("{} authenticated; routed to {} in {} mode", describeClient(), destination(), mode);
        }
        poolTicket = pool.acquire(ctx.executor(), this::onBackend);
        readOwnMessages();
    }

    /**
     * From now on the session finds the client's messages in its reads itself. Last: removing the
     * login's decoder hands this handler the bytes that decoder still held.
     */
    private void readOwnMessages() {
        scanner = new MessageScanner(Direction.FRONTEND, context.config().maxMessageSize());
        ctx.pipeline().remove(FrameDecoder.class);
    }

    // ---- the first backend connection ----

    private void onBackend(BackendConnection connection, ProtocolException problem) {
        poolTicket = null;
        if (state != State.CONNECTING || closeReason != null) {
            if (connection != null) {
                pool.release(connection);
            }
            return;
        }
        if (problem != null) {
            fatal(problem.sqlState(), problem.getMessage());
            return;
        }
        String reset = context.config().pool().resetQuery();
        if (mode == PoolMode.SESSION && connection.settingsChanged() && !reset.isBlank()) {
            resetThenApplyParameters(connection, reset);
            return;
        }
        applyParameters(connection);
    }

    /**
     * A transaction-mode client may have left state on the connection that the proxy cannot see (a
     * role set, a temporary table, an advisory lock, taken inside a function or a DO block); RESET
     * ALL clears settings only, not a role or the rest. A session-mode client, which keeps the
     * connection as its own, gets it after the pool's reset query, as after another session.
     */
    private void resetThenApplyParameters(BackendConnection connection, String reset) {
        BackendQuery.run(connection, reset, context.config().pool().connectTimeout())
                .whenComplete((error, failure) -> ctx.executor().execute(() -> {
                    if (failure != null || error.isPresent()) {
                        pool.discard(connection, "the reset query failed before a session-mode login: "
                                + (failure != null ? failure.getMessage() : error.get().message()));
                        fatal(SqlState.CONNECTION_FAILURE, "could not prepare a backend connection for this session");
                        return;
                    }
                    connection.resetDone();
                    if (state != State.CONNECTING || closeReason != null) {
                        pool.release(connection);
                        return;
                    }
                    applyParameters(connection);
                }));
    }

    private void applyParameters(BackendConnection connection) {
        Map<String, String> unreported = parameters.unreportedValues();
        // A transaction-mode client meets whatever state others left unseen at its next transaction
        // anyway, so it is spared the query when what the proxy sees matches: as when the connection's
        // last client had the same settings, a round trip saved on every login. A session-mode client
        // gets the reset query first (resetThenApplyParameters), or a RESET ALL when there is none.
        if ((mode == PoolMode.TRANSACTION || !connection.settingsChanged())
                && connection.isAsLoginWith(parameters.values(), unreported)) {
            activate(connection, unreported);
            return;
        }
        String sql = parameters.toSql();
        if (connection.settingsChanged()) {
            // A transaction-mode client may have left settings, and no reset query cleared them: start from
            // the server's defaults. RESET ALL leaves the role (PostgreSQL's GUC_NO_RESET_ALL), which a
            // client can set in its startup options; session_authorization needs a superuser to change.
            sql = "RESET ALL;RESET ROLE;" + (sql == null ? "" : sql);
        }
        if (sql == null) {
            activate(connection, unreported);
            return;
        }
        Map<String, String> values = parameters.values();
        BackendQuery.run(connection, sql, context.config().pool().connectTimeout())
                .whenComplete((error, failure) -> ctx.executor().execute(() -> {
                    if (failure != null) {
                        pool.discard(connection, "failed while applying client parameters: " + failure.getMessage());
                        fatal(SqlState.CONNECTION_FAILURE, "lost the connection to " + destination() + " while starting the session");
                    } else if (error.isPresent()) {
                        pool.resetAndRelease(connection);
                        fatal(error.get().sqlState() == null ? SqlState.INVALID_PARAMETER_VALUE.code() : error.get().sqlState(),
                                "invalid startup parameter: " + error.get().message());
                    } else if (state != State.CONNECTING || closeReason != null) {
                        pool.resetAndRelease(connection);
                    } else {
                        connection.clientSettingsApplied(values, unreported);
                        activate(connection, unreported);
                    }
                }));
    }

    private void activate(BackendConnection connection, Map<String, String> unreported) {
        state = State.ACTIVE;
        cancelAuthenticationTimeout();
        write(connection.parameterStatusMessages());
        write(new BackendKeyData(processId, secretKey));
        writeAndFlush(new ReadyForQuery(connection.status()));
        relay = mode == PoolMode.SESSION ? new SessionRelay(this, pool, connection)
                : new TransactionRelay(this, pool, connection, unreported, context.statementCounters());
        startup = null;
        parameters = null;
        if (log.isDebugEnabled()) {
            log.debug("{} ready in {} ({} mode)", describeClient(), destination(), mode);
        }
        ArrayDeque<Frame> held = pending;
        pending = null;
        pendingBytes = 0;
        if (held != null) {
            held.forEach(relay::clientFrame);
            relay.clientReadComplete();
        }
    }

    private void activateAdminConsole() {
        state = State.ACTIVE;
        cancelAuthenticationTimeout();
        AdminConsole.PARAMETERS.forEach((name, value) -> write(new ParameterStatus(name, value)));
        write(new BackendKeyData(processId, secretKey));
        writeAndFlush(new ReadyForQuery(ReadyForQuery.TransactionStatus.IDLE));
        relay = new AdminConsole(this);
        startup = null;
        parameters = null;
        log.info("{} opened the admin console", describeClient());
    }

    /**
     * The registry's or the configuration's copy of a database name that routed to {@code to}, so
     * that idle sessions share one rather than each keep the one its startup packet brought. Not
     * {@code String.intern}, which took 2.5% of the event loop's time per login under {@code -C}.
     */
    private String sharedCopy(String database, Object to, User user) {
        if (to instanceof Organization org && database.equals(org.database())) {
            return org.database();
        }
        if (to instanceof SharedDatabase shared && database.equals(shared.name())) {
            return shared.name();
        }
        if (database.equals(user.name())) {
            return user.name();
        }
        return to == AdminConsole.DESTINATION ? AdminConsole.DATABASE : context.router().alias(database);
    }

    private void holdUntilReady(Frame frame) {
        pendingBytes += frame.content().readableBytes();
        if (pending == null) {
            pending = new ArrayDeque<>(2);
        }
        pending.add(frame);
        if (pendingBytes > MAX_PENDING_BYTES) {
            throw new ProtocolException(SqlState.PROGRAM_LIMIT_EXCEEDED,
                    "the client sent more than " + MAX_PENDING_BYTES + " bytes before its session was ready");
        }
    }

    // ---- helpers ----

    /** Adds a message to {@link #reply}; {@link #writeAndFlush} sends them all. */
    private void write(BackendMessage message) {
        message.encode(reply());
    }

    /** Adds messages already encoded to {@link #reply}. */
    private void write(byte[] messages) {
        reply().writeBytes(messages);
    }

    private ByteBuf reply() {
        if (reply == null) {
            reply = ctx.alloc().buffer();
        }
        return reply;
    }

    private ChannelFuture writeAndFlush(BackendMessage message) {
        write(message);
        return flushReply();
    }

    /** Sends what {@link #write} gathered. */
    private ChannelFuture flushReply() {
        ByteBuf unsent = reply;
        reply = null;
        // What a relay has yet to write goes first.
        output.writeRun();
        return ctx.writeAndFlush(unsent);
    }

    private void cancelAuthenticationTimeout() {
        if (authenticationTimeout != null) {
            authenticationTimeout.cancel(false);
            authenticationTimeout = null;
        }
    }

    String describeClient() {
        String address = ctx == null ? "?" : String.valueOf(ctx.channel().remoteAddress());
        return (userName == null ? "client" : "user " + userName) + " from " + address
                + (destination == null ? "" : " (" + destination() + ")");
    }
}
