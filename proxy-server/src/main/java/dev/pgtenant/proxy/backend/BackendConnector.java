package dev.pgtenant.proxy.backend;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.auth.ClientLogin;
import dev.pgtenant.protocol.auth.ScramClientExchange;
import dev.pgtenant.proxy.server.ProxyServer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** Opens and logs in backend connections. */
public final class BackendConnector {

    private final EventLoopGroup loops;
    private final Class<? extends Channel> channelType;
    private final Executor blockingWork;
    private final Duration connectTimeout;
    private final int maxMessageSize;
    private final int maxPreparedStatements;

    public BackendConnector(EventLoopGroup loops, Class<? extends Channel> channelType, Executor blockingWork,
                            Duration connectTimeout, int maxMessageSize, int maxPreparedStatements) {
        this.maxPreparedStatements = maxPreparedStatements;
        this.loops = loops;
        this.channelType = channelType;
        this.blockingWork = blockingWork;
        this.connectTimeout = connectTimeout;
        this.maxMessageSize = maxMessageSize;
    }

    public Executor blockingWork() {
        return blockingWork;
    }

    /**
     * Connects and logs in with {@code credentials}, on event loop {@code loop} when it is one of
     * ours (else any). The future completes when the backend is ready for queries, or fails with a
     * ProtocolException (08001) that says why.
     */
    public CompletableFuture<BackendConnection> connect(BackendTarget target, BackendCredentials credentials,
                                                        EventExecutor loop) {
        ClientLogin login = ClientLogin.of(target.user(), credentials.password(), credentials.scram(),
                ScramClientExchange.DEFAULT_MAX_ITERATIONS);
        BackendConnection connection = new BackendConnection(target, login, blockingWork, connectTimeout, maxPreparedStatements,
                maxMessageSize);
        Bootstrap bootstrap = new Bootstrap()
                .group(loop instanceof EventLoop own && own.parent() == loops ? own : loops)
                .channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, ProxyServer.RELAY_WATER_MARK)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(connection);
                    }
                });
        bootstrap.connect(target.server().host(), target.server().port()).addListener(future -> {
            if (!future.isSuccess()) {
                connection.ready().completeExceptionally(new ProtocolException(SqlState.UNABLE_TO_ESTABLISH_CONNECTION,
                        "could not connect to backend " + target.server().host() + ":" + target.server().port()
                                + " for database " + target.database() + ": " + future.cause().getMessage()));
            }
        });
        return connection.ready();
    }
}
