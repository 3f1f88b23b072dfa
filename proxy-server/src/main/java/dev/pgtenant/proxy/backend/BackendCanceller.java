package dev.pgtenant.proxy.backend;

import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.protocol.message.backend.BackendKeyData;
import dev.pgtenant.protocol.message.startup.CancelRequest;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends a CancelRequest to a backend on a connection of its own, as PostgreSQL requires. */
public final class BackendCanceller {

    private static final Logger log = LoggerFactory.getLogger(BackendCanceller.class);

    /** Why a backend whose cancel request went unanswered serves no other client (see {@link #cancel}). */
    public static final String UNANSWERED = "a cancel request sent to it went unanswered and could still reach another client's query";

    private final EventLoopGroup loops;
    private final Class<? extends Channel> channelType;
    private final Duration connectTimeout;

    public BackendCanceller(EventLoopGroup loops, Class<? extends Channel> channelType, Duration connectTimeout) {
        this.loops = loops;
        this.channelType = channelType;
        this.connectTimeout = connectTimeout;
    }

    /**
     * Sends the request. The future completes with true once the backend has closed the cancel
     * connection, or when it could not be opened (nothing was sent); with false when the backend did
     * not close it within the connect timeout and the proxy did: the request may then still be read,
     * and cancel whatever that backend runs by then.
     */
    public CompletableFuture<Boolean> cancel(BackendAddress server, BackendKeyData key) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        new Bootstrap().group(loops).channel(channelType)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.host(), server.port())
                .addListener((ChannelFutureListener) connected -> {
                    if (!connected.isSuccess()) {
                        log.warn("could not forward a cancel request to {}:{}: {}", server.host(), server.port(),
                                connected.cause().getMessage());
                        done.complete(true);
                        return;
                    }
                    AtomicBoolean gaveUp = new AtomicBoolean();
                    connected.channel().closeFuture().addListener(closed -> done.complete(!gaveUp.get()));
                    // A backend that never closes the cancel connection must not hold anything up.
                    connected.channel().eventLoop().schedule(() -> {
                        gaveUp.set(true);
                        connected.channel().close();
                    }, connectTimeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    ByteBuf packet = connected.channel().alloc().buffer(CancelRequest.LENGTH);
                    new CancelRequest(key.processId(), key.secretKey()).encode(packet);
                    connected.channel().writeAndFlush(packet);
                });
        return done;
    }
}
