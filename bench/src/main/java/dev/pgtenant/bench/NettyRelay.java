package dev.pgtenant.bench;

import dev.pgtenant.proxy.server.LeakDetection;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The floor for any proxy built on Netty, as pgtenant is: a relay that copies bytes between each
 * client and a connection of its own to PostgreSQL, with pgtenant's event-loop setup (one loop, epoll,
 * TCP_NODELAY) and nothing else: no parsing, no authentication, no pooling. Whatever it costs per
 * transaction, pgtenant cannot cost less. The benchmark runs it in its own JVM as a reference.
 *
 * <p>Usage: {@code NettyRelay LISTEN_PORT SERVER_HOST SERVER_PORT}; listens on 127.0.0.1.
 */
public final class NettyRelay implements AutoCloseable {

    private final EventLoopGroup loop;
    private final Channel listener;

    private NettyRelay(EventLoopGroup loop, Channel listener) {
        this.loop = loop;
        this.listener = listener;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: NettyRelay LISTEN_PORT SERVER_HOST SERVER_PORT");
        }
        // As pgtenant runs: the floor must not pay for what pgtenant does not.
        LeakDetection.configure();
        NettyRelay relay = start(Integer.parseInt(args[0]), new InetSocketAddress(args[1], Integer.parseInt(args[2])));
        relay.listener.closeFuture().sync();
    }

    /** Listens on 127.0.0.1 at {@code port} (0: any free port) and relays each client to {@code server}. */
    static NettyRelay start(int port, InetSocketAddress server) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("relay"),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends SocketChannel> socketType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        Class<? extends ServerChannel> serverType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        try {
            Channel listener = new ServerBootstrap().group(loop).channel(serverType)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    // Nothing is read from a client before its server connection is up.
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childHandler(new ChannelInitializer<Channel>() {
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
                    })
                    .bind("127.0.0.1", port).sync().channel();
            return new NettyRelay(loop, listener);
        } catch (RuntimeException | InterruptedException e) {
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        loop.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
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
