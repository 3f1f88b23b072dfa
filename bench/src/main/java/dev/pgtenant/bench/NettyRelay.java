package dev.pgtenant.bench;

import dev.pgtenant.proxy.server.LeakDetection;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;

/**
 * The floor for any proxy built on Netty, as pgtenant is: a relay that copies bytes between each
 * client and a connection of its own to PostgreSQL, with pgtenant's event-loop setup (one loop, epoll,
 * TCP_NODELAY) and nothing else: no parsing, no authentication, no pooling. Whatever it costs per
 * transaction, pgtenant cannot cost less. The benchmark runs it in its own JVM as a reference.
 *
 * <p>Usage: {@code NettyRelay LISTEN_PORT SERVER_HOST SERVER_PORT}; listens on 127.0.0.1.
 */
public final class NettyRelay implements AutoCloseable {

    private final LoopbackListener listener;

    private NettyRelay(LoopbackListener listener) {
        this.listener = listener;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: NettyRelay LISTEN_PORT SERVER_HOST SERVER_PORT");
        }
        // As pgtenant runs: the floor must not pay for what pgtenant does not.
        LeakDetection.configure();
        NettyRelay relay = start(Integer.parseInt(args[0]), new InetSocketAddress(args[1], Integer.parseInt(args[2])));
        relay.listener.awaitClose();
    }

    /** Listens on 127.0.0.1 at {@code port} (0: any free port) and relays each client to {@code server}. */
    static NettyRelay start(int port, InetSocketAddress server) throws InterruptedException {
        Class<? extends SocketChannel> socketType = LoopbackListener.socketType();
        // Nothing is read from a client before its server connection is up.
        return new NettyRelay(LoopbackListener.start("relay", port, false, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel client) {
                new Bootstrap().group(client.eventLoop()).channel(socketType)
                        .option(ChannelOption.TCP_NODELAY, true)
                        .handler(new Copy(client))
                        .connect(server)
                        .addListener((ChannelFutureListener) connected -> {
                            if (!connected.isSuccess()) {
                                client.close();
                                return;
                            }
                            client.pipeline().addLast(new Copy(connected.channel()));
                            client.config().setAutoRead(true);
                        });
            }
        }));
    }

    int port() {
        return listener.port();
    }

    @Override
    public void close() {
        listener.close();
    }

    /** Copies what its channel reads to the other side, and stops reading while the other side is full. */
    private static final class Copy extends ChannelInboundHandlerAdapter {
        private final Channel to;

        Copy(Channel to) {
            this.to = to;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            to.write(message, to.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            to.flush();
            if (!to.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This channel drained: the side that writes into it may read again.
            to.config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
