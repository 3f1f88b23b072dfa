package dev.pgtenant.proxy.session;

import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.auth.ScramException;
import dev.pgtenant.protocol.auth.ScramServerExchange;
import dev.pgtenant.protocol.codec.Direction;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.FrameDecoder;
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
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.proxy.backend.BackendConnection;
import dev.pgtenant.proxy.backend.BackendQuery;
import dev.pgtenant.proxy.backend.BackendUser;
import dev.pgtenant.proxy.pool.BackendPool;
import dev.pgtenant.proxy.routing.RoutingDecision;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, from its first byte to its close: startup, SCRAM authentication against
 * the registry, routing, waiting for a pooled backend connection, then relaying messages both ways
 * as whole frames. In session mode the client keeps its backend connection until it leaves; the
 * connection goes back to the pool only if the session ended idle and the reset succeeded.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter implements BackendUser {

    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);

    /** Before authentication a client has no business sending large messages. */
    private static final int MAX_AUTH_MESSAGE_SIZE = 8192;
    /** Messages a client may send before its backend is ready are held, up to this many bytes. */
    private static final int MAX_PENDING_BYTES = 1024 * 1024;

    private enum State { STARTUP, AUTHENTICATING, CONNECTING, ACTIVE, CLOSED }

    private final ProxyContext context;
    private final ArrayDeque<Frame> pending = new ArrayDeque<>();
    private final AtomicInteger awaitingReady = new AtomicInteger();
    private ChannelHandlerContext ctx;
    private State state = State.STARTUP;
    private StartupMessage startup;
    private SessionParameters parameters;
    private ScramServerExchange scram;
    private boolean saslStarted;
    private String destination;
    private BackendPool pool;
    private volatile BackendConnection backend;
    private BackendKeyData proxyKey;
    private ScheduledFuture<?> authenticationTimeout;
    private int pendingBytes;
    private boolean unsyncedExtendedQuery;
    private String closeReason;

    public ClientSession(ProxyContext context) {
        this.context = context;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        long timeout = context.config().authenticationTimeout().toMillis();
        authenticationTimeout = ctx.executor().schedule(() -> fatal(SqlState.CONNECTION_FAILURE,
                "the connection was not ready within " + timeout / 1000 + "s of connecting; closing it"),
                timeout, TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSED || closeReason != null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            switch (state) {
                case STARTUP -> onStartupPacket(msg);
                case AUTHENTICATING -> onAuthenticationMessage((Frame) msg);
                case CONNECTING -> holdUntilConnected((Frame) msg);
                case ACTIVE -> relayToBackend((Frame) msg);
                default -> ReferenceCountUtil.release(msg);
            }
        } catch (ProtocolException e) {
            fatal(e.sqlState(), e.getMessage());
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        BackendConnection current = backend;
        if (state == State.ACTIVE && current != null) {
            current.flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        BackendConnection current = backend;
        if (current != null) {
            current.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable problem = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (problem instanceof ProtocolException protocol) {
            fatal(protocol.sqlState(), protocol.getMessage());
        } else if (problem instanceof java.io.IOException) {
            close("connection error: " + problem.getMessage());
        } else {
            log.error("unexpected error in the session of {}", describeClient(), problem);
            fatal(SqlState.INTERNAL_ERROR, "internal error in pgtenant; the session was closed");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (closeReason == null) {
            closeReason = state == State.ACTIVE || state == State.CONNECTING ? "the client disconnected"
                    : "the client disconnected during " + state.name().toLowerCase();
        }
        log.info("session of {} ended: {}", describeClient(), closeReason);
        State ended = state;
        state = State.CLOSED;
        cancelAuthenticationTimeout();
        pending.forEach(Frame::release);
        pending.clear();
        if (proxyKey != null) {
            context.cancelKeys().retire(proxyKey);
        }
        BackendConnection current = backend;
        backend = null;
        if (current != null && ended == State.ACTIVE) {
            giveBack(current);
        }
    }

    /** Forwards a cancel to the backend running this session's query, if one is. */
    void cancelRunningQuery() {
        BackendConnection current = backend;
        if (current != null && current.key() != null && awaitingReady.get() > 0) {
            log.info("forwarding a cancel request for {} to backend pid {}", describeClient(), current.key().processId());
            context.canceller().cancel(current.target().server(), current.key());
        }
    }

    // ---- startup and authentication ----

    private void onStartupPacket(Object packet) {
        if (packet instanceof StartupMessage message) {
            onStartupMessage(message);
        } else if (packet instanceof CancelRequest cancel) {
            ClientSession target = context.cancelKeys().find(cancel.processId(), cancel.secretKey());
            if (target != null) {
                target.cancelRunningQuery();
            }
            close("cancel request handled");
        } else {
            // SSLRequest and GSSENCRequest: not offered yet, so the client continues in plain text.
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'N'}));
        }
    }

    private void onStartupMessage(StartupMessage message) {
        startup = message;
        String userName = message.user();
        if (userName == null || userName.isEmpty()) {
            throw new ProtocolException(SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
                    "no PostgreSQL user name specified in startup packet");
        }
        parameters = SessionParameters.from(message);
        message.negotiation().ifPresent(this::write);
        ctx.pipeline().replace(StartupPacketDecoder.class, "frames",
                new FrameDecoder(Direction.FRONTEND, MAX_AUTH_MESSAGE_SIZE));
        User user = knownUserWithHome(context.registry(), userName);
        scram = user != null ? ScramServerExchange.forVerifier(user.verifier())
                : ScramServerExchange.forUnknownUser(userName, context.unknownUserSecret());
        state = State.AUTHENTICATING;
        writeAndFlush(new Authentication.Sasl(List.of(ScramServerExchange.MECHANISM)));
    }

    private static User knownUserWithHome(Registry registry, String name) {
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
            write(new Authentication.SaslFinal(serverFinal));
            writeAndFlush(new Authentication.Ok());
            authenticated();
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

    private void authenticated() {
        ctx.pipeline().replace(FrameDecoder.class, "frames",
                new FrameDecoder(Direction.FRONTEND, context.config().maxMessageSize()));
        Registry registry = context.registry();
        User user = knownUserWithHome(registry, startup.user());
        if (user == null) {
            fatal(SqlState.INVALID_PASSWORD, "password authentication failed for user \"" + startup.user() + "\"");
            return;
        }
        String database = startup.database() == null ? startup.user() : startup.database();
        RoutingDecision decision = context.router().route(registry, user, database);
        if (decision instanceof RoutingDecision.Refused refused) {
            fatal(SqlState.INSUFFICIENT_PRIVILEGE, refused.message());
            return;
        }
        if (decision instanceof RoutingDecision.ToOrganization to) {
            Organization org = to.organization();
            destination = "organization " + org.id();
            pool = context.pools().pool(context.target(org.backend()));
        } else {
            RoutingDecision.ToSharedDatabase to = (RoutingDecision.ToSharedDatabase) decision;
            destination = "shared database " + to.database().name();
            pool = context.pools().pool(context.target(to.database().backend()));
        }
        state = State.CONNECTING;
        log.debug("{} authenticated; routed to {}", describeClient(), destination);
        pool.acquire(ctx.executor(), this::onBackend);
    }

    // ---- getting a backend ----

    private void onBackend(BackendConnection connection, ProtocolException problem) {
        if (state != State.CONNECTING) {
            if (connection != null) {
                pool.release(connection);
            }
            return;
        }
        if (problem != null) {
            fatal(problem.sqlState(), problem.getMessage());
            return;
        }
        String sql = parameters.toSql();
        if (sql == null) {
            activate(connection);
            return;
        }
        BackendQuery.run(connection, sql).whenComplete((error, failure) -> ctx.executor().execute(() -> {
            if (failure != null) {
                pool.discard(connection, "failed while applying client parameters: " + failure.getMessage());
                fatal(SqlState.CONNECTION_FAILURE, "lost the connection to " + destination + " while starting the session");
            } else if (error.isPresent()) {
                giveBackAfterReset(connection);
                fatal(error.get().sqlState() == null ? SqlState.INVALID_PARAMETER_VALUE.code() : error.get().sqlState(),
                        "invalid startup parameter: " + error.get().message());
            } else if (state != State.CONNECTING) {
                giveBackAfterReset(connection);
            } else {
                activate(connection);
            }
        }));
    }

    private void activate(BackendConnection connection) {
        backend = connection;
        state = State.ACTIVE;
        cancelAuthenticationTimeout();
        proxyKey = context.cancelKeys().issue(this);
        connection.channel().eventLoop().execute(() -> connection.setUser(this));
        connection.parameters().forEach((name, value) -> write(new ParameterStatus(name, value)));
        write(proxyKey);
        writeAndFlush(new ReadyForQuery(connection.status()));
        log.debug("{} connected to {} (backend pid {})", describeClient(), destination, connection.key().processId());
        while (!pending.isEmpty()) {
            relayToBackend(pending.poll());
        }
        pendingBytes = 0;
        connection.flush();
    }

    private void holdUntilConnected(Frame frame) {
        pendingBytes += frame.content().readableBytes();
        pending.add(frame);
        if (pendingBytes > MAX_PENDING_BYTES) {
            throw new ProtocolException(SqlState.PROGRAM_LIMIT_EXCEEDED,
                    "the client sent more than " + MAX_PENDING_BYTES + " bytes before its session was ready");
        }
    }

    // ---- relaying ----

    private void relayToBackend(Frame frame) {
        byte type = frame.type();
        if (type == 'X') {
            frame.release();
            close("the client ended the session");
            return;
        }
        switch (type) {
            case 'Q', 'F' -> awaitingReady.incrementAndGet();
            case 'S' -> {
                awaitingReady.incrementAndGet();
                unsyncedExtendedQuery = false;
            }
            case 'P', 'B', 'E', 'D', 'C', 'H' -> unsyncedExtendedQuery = true;
            default -> {
            }
        }
        BackendConnection current = backend;
        current.write(frame.content());
        if (!current.channel().isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void backendFrame(Frame frame) {
        if (frame.type() == 'Z') {
            awaitingReady.updateAndGet(n -> Math.max(0, n - 1));
        }
        Channel client = ctx.channel();
        client.write(frame.content());
        if (!client.isWritable()) {
            BackendConnection current = backend;
            if (current != null) {
                current.channel().config().setAutoRead(false);
            }
        }
    }

    @Override
    public void backendReadComplete() {
        ctx.channel().flush();
    }

    @Override
    public void backendWritabilityChanged(boolean writable) {
        ctx.channel().config().setAutoRead(writable);
    }

    @Override
    public void backendClosed(String reason) {
        ctx.executor().execute(() -> {
            BackendConnection lost = backend;
            backend = null;
            if (lost != null) {
                pool.discard(lost, reason);
            }
            fatal(SqlState.CONNECTION_FAILURE, "lost the connection to the database server of " + destination
                    + " (" + reason + "); reconnect to continue");
        });
    }

    // ---- ending ----

    private void giveBack(BackendConnection connection) {
        connection.channel().eventLoop().execute(() -> connection.setUser(null));
        if (connection.status() != ReadyForQuery.TransactionStatus.IDLE) {
            pool.discard(connection, "its client left inside a transaction");
        } else if (awaitingReady.get() > 0 || unsyncedExtendedQuery) {
            pool.discard(connection, "its client left while a query was running");
        } else {
            giveBackAfterReset(connection);
        }
    }

    private void giveBackAfterReset(BackendConnection connection) {
        String reset = context.config().pool().resetQuery();
        if (reset.isBlank()) {
            pool.release(connection);
            return;
        }
        BackendQuery.run(connection, reset).whenComplete((error, failure) -> {
            if (failure != null || error.isPresent()) {
                pool.discard(connection, "the reset query failed: "
                        + (failure != null ? failure.getMessage() : error.get().message()));
            } else {
                pool.release(connection);
            }
        });
    }

    private void fatal(SqlState sqlState, String message) {
        fatal(sqlState.code(), message);
    }

    private void fatal(String sqlState, String message) {
        if (state == State.CLOSED || closeReason != null) {
            return;
        }
        closeReason = message + " (SQLSTATE " + sqlState + ")";
        ByteBuf buf = ctx.alloc().buffer();
        ErrorResponse.of(ErrorResponse.Severity.FATAL, sqlState, message, null).encode(buf);
        ctx.writeAndFlush(buf).addListener(ChannelFutureListener.CLOSE);
    }

    private void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        ctx.close();
    }

    private void write(BackendMessage message) {
        ByteBuf buf = ctx.alloc().buffer();
        message.encode(buf);
        ctx.write(buf);
    }

    private void writeAndFlush(BackendMessage message) {
        write(message);
        ctx.flush();
    }

    private void cancelAuthenticationTimeout() {
        if (authenticationTimeout != null) {
            authenticationTimeout.cancel(false);
        }
    }

    private String describeClient() {
        String address = ctx == null ? "?" : String.valueOf(ctx.channel().remoteAddress());
        return (startup == null || startup.user() == null ? "client" : "user " + startup.user()) + " from " + address
                + (destination == null ? "" : " (" + destination + ")");
    }
}
