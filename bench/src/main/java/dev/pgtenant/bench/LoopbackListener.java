package dev.pgtenant.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
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
 * A listener on 127.0.0.1 with the parts of pgtenant's set-up that shape what a transaction or a
 * login costs (one event loop, epoll where the kernel has it, TCP_NODELAY for every client), for the
 * benchmark's reference servers.
 */
final class LoopbackListener implements AutoCloseable {

    private static final boolean EPOLL = Epoll.isAvailable();

    private final EventLoopGroup loop;
    private final Channel channel;

    private LoopbackListener(EventLoopGroup loop, Channel channel) {
        this.loop = loop;
        this.channel = channel;
    }

    /**
     * Listens at {@code port} (0: any free port) on a loop of its own, whose thread is named after
     * {@code name}; {@code clients} handles each accepted client, which reads at once only when
     * {@code autoRead}.
     */
    static LoopbackListener start(String name, int port, boolean autoRead, ChannelHandler clients)
            throws InterruptedException {
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(name),
                EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends ServerChannel> serverType = EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        try {
            Channel channel = new ServerBootstrap().group(loop).channel(serverType)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.AUTO_READ, autoRead)
                    .childHandler(clients)
                    .bind("127.0.0.1", port).sync().channel();
            return new LoopbackListener(loop, channel);
        } catch (Throwable e) {
            // Also a failed bind, which sync() rethrows unchecked: the loop's thread would keep the JVM up.
            loop.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The type of an outgoing connection on the same transport as the listener's. */
    static Class<? extends SocketChannel> socketType() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Waits until the listener is closed. */
    void awaitClose() throws InterruptedException {
        channel.closeFuture().sync();
    }

    /** Stops listening and stops the loop; fails rather than waits on a loop that does not stop. */
    @Override
    public void close() {
        boolean closed = channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boolean stopped = loop.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        if (!closed || !stopped) {
            throw new IllegalStateException("the listener's event loop did not stop within 15 s");
        }
    }
}
