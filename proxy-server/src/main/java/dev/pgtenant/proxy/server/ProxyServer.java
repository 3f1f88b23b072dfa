package dev.pgtenant.proxy.server;

import dev.pgtenant.config.ProxyConfig;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.codec.StartupPacketDecoder;
import dev.pgtenant.proxy.backend.BackendCanceller;
import dev.pgtenant.proxy.backend.BackendConnector;
import dev.pgtenant.proxy.backend.BackendTarget;
import dev.pgtenant.proxy.pool.Pools;
import dev.pgtenant.proxy.session.ClientSession;
import dev.pgtenant.proxy.session.ProxyContext;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's network side: accepts clients on the configured address and gives each a
 * {@link ClientSession}. Uses native epoll when the platform has it, NIO otherwise. Work that may
 * block (PBKDF2 for backend logins, reading password files) runs on a small separate pool.
 */
public final class ProxyServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

    /**
     * How much a client may have pending before its backend stops being read, and how little before
     * reading resumes. Netty's default (64 KB / 32 KB) toggles reading so often on a large result or
     * COPY that the stream stalls between toggles.
     */
    public static final io.netty.channel.WriteBufferWaterMark RELAY_WATER_MARK =
            new io.netty.channel.WriteBufferWaterMark(256 * 1024, 1024 * 1024);

    private final EventLoopGroup loops;
    private final ExecutorService blockingWork;
    private final Pools pools;
    private final ProxyContext context;
    private final Channel serverChannel;

    private ProxyServer(ProxyConfig config, Supplier<Registry> registry, BackendAddress embeddedBackend)
            throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        loops = new MultiThreadIoEventLoopGroup(config.ioThreads(), new DefaultThreadFactory("pgtenant-io"),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends SocketChannel> clientType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        Class<? extends ServerChannel> serverType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        AtomicInteger threads = new AtomicInteger();
        blockingWork = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, "pgtenant-blocking-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        BackendConnector connector = new BackendConnector(loops, clientType, blockingWork,
                config.pool().connectTimeout(), config.maxMessageSize(), config.pool().maxPreparedStatements());
        pools = new Pools(config.pool(), connector, loops.next(), target -> routes(registry.get(), target));
        context = new ProxyContext(config, registry, pools,
                new BackendCanceller(loops, clientType, config.pool().connectTimeout()), embeddedBackend);
        ProxyConfig.ListenAddress listen = config.listenAddress();
        serverChannel = new ServerBootstrap()
                .group(loops)
                .channel(serverType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, RELAY_WATER_MARK)
                // One allocator for all clients, in place of one each: it holds only settings, and the
                // per-connection state is in the handle each channel makes from it. Netty gives its own
                // per-channel allocator a socket channel's 16 reads per event; a shared one keeps its 1.
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, new AdaptiveRecvByteBufAllocator().maxMessagesPerRead(16))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast("startup", new StartupPacketDecoder());
                        channel.pipeline().addLast("session", new ClientSession(context));
                    }
                })
                .bind(listen.host(), listen.port()).sync().channel();
        log.info("pgtenant listening on {} ({})", serverChannel.localAddress(), epoll ? "epoll" : "nio");
    }

    /**
     * Starts the proxy. {@code embeddedBackend} is where databases without a configured server live,
     * or {@code null} when there is no embedded backend.
     */
    public static ProxyServer start(ProxyConfig config, Supplier<Registry> registry, BackendAddress embeddedBackend) {
        try {
            return new ProxyServer(config, registry, embeddedBackend);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        }
    }

    /** The port actually bound (useful when configured with port 0). */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Pools pools() {
        return pools;
    }

    /** The event loops that relay clients' and backends' messages: what to watch when measuring the relay. */
    public EventLoopGroup eventLoops() {
        return loops;
    }

    public dev.pgtenant.proxy.transaction.StatementCounters statementCounters() {
        return context.statementCounters();
    }

    /** Why the sessions of a destination a registry change removed or moved end. */
    private static final String REMOVED = " was removed from the registry; its sessions are closed";
    private static final String MOVED = " moved to another backend; reconnect to continue there";

    /**
     * Applies a new registry snapshot to what is running: sessions of organizations and shared
     * databases that were removed end with 57P01, as do sessions whose login would now be refused or
     * routed elsewhere, and pools no longer routed to are retired. Logins and routing already read
     * the new snapshot.
     */
    public void registryChanged(Registry previous, Registry next) {
        // Destinations whose sessions all end here, with a message that says why.
        Set<String> closing = new HashSet<>();
        for (var org : previous.organizations()) {
            var now = next.organization(org.id());
            String name = ClientSession.nameOf(org);
            if (now.isEmpty()) {
                log.info("{} was removed: {} sessions ended", name, endAll(name, REMOVED, closing));
            } else if (!now.get().backend().equals(org.backend())) {
                log.info("{} moved: {} sessions ended", name, endAll(name, MOVED, closing));
            }
        }
        for (var shared : previous.sharedDatabases()) {
            var now = next.sharedDatabase(shared.name());
            String name = ClientSession.nameOf(shared);
            if (now.isEmpty()) {
                endAll(name, REMOVED, closing);
            } else if (!now.get().backend().equals(shared.backend())) {
                endAll(name, MOVED, closing);
            }
        }
        endSessionsRoutedElsewhere(previous, next, closing);
        java.util.Set<dev.pgtenant.proxy.backend.BackendTarget> routed = new java.util.HashSet<>();
        java.util.stream.Stream.concat(next.organizations().stream().map(org -> org.backend()),
                next.sharedDatabases().stream().map(shared -> shared.backend())).forEach(login -> {
                    try {
                        routed.add(context.target(login));
                    } catch (IllegalStateException unroutable) {
                        log.warn("{}", unroutable.getMessage());
                    }
                });
        // A shared database's pools are per organization: each lasts while the database and the organization do.
        pools.retainOnly(target -> routed.contains(target.withoutOrganization())
                && (target.organization() == null || next.organization(target.organization()).isPresent()));
    }

    /** Ends every session of {@code destination}, saying why, and notes it in {@code closing}; returns how many. */
    private int endAll(String destination, String why, Set<String> closing) {
        closing.add(destination);
        return context.sessions().endSessions(destination, destination + why);
    }

    /**
     * Whether {@code registry} routes logins to {@code target}: an organization's own database, or a
     * shared database for the clients of an organization it holds. Asked whenever a pool is made,
     * so an organization is found through the registry's index by database.
     */
    private boolean routes(Registry registry, BackendTarget target) {
        if (target.organization() == null) {
            return registry.organizationByDatabase(target.database())
                    .filter(org -> target.equals(targetOrNull(org.backend()))).isPresent();
        }
        BackendTarget shared = target.withoutOrganization();
        return registry.organization(target.organization()).isPresent() && registry.sharedDatabases().stream()
                .anyMatch(database -> shared.equals(targetOrNull(database.backend())));
    }

    /** The pool key of a login, or null for one that cannot be routed (no server, and no embedded backend). */
    private BackendTarget targetOrNull(dev.pgtenant.config.registry.BackendLogin login) {
        try {
            return context.target(login);
        } catch (IllegalStateException unroutable) {
            return null;
        }
    }

    /**
     * A session is routed once, at login, and keeps its pool for life: this ends (57P01) each session
     * that a login of its user, asking for the same database, would no longer get to the same place,
     * because the user was removed, moved to another home organization, lost a grant or the admin
     * flag. Only sessions of users whose record changed are looked at, unless organizations or shared
     * databases changed too (a user's home organization removed, say). Sessions in {@code closing}
     * already end with a message of their own.
     */
    private void endSessionsRoutedElsewhere(Registry previous, Registry next, Set<String> closing) {
        Set<String> changedUsers = new HashSet<>();
        // A shared database's connections are pooled per home organization: a new home is another pool.
        Set<String> movedHome = new HashSet<>();
        for (User user : previous.users()) {
            User now = next.user(user.name()).orElse(null);
            if (!user.equals(now)) {
                changedUsers.add(user.name());
                if (now != null && !java.util.Objects.equals(user.org(), now.org())) {
                    movedHome.add(user.name());
                }
            }
        }
        boolean destinationsChanged = !List.copyOf(previous.organizations()).equals(List.copyOf(next.organizations()))
                || !List.copyOf(previous.sharedDatabases()).equals(List.copyOf(next.sharedDatabases()));
        if (changedUsers.isEmpty() && !destinationsChanged) {
            return;
        }
        int ended = context.sessions().endSessions(session -> {
            String user = session.userName();
            return user != null && (destinationsChanged || changedUsers.contains(user))
                    && !closing.contains(session.destination())
                    && (movedHome.contains(user) && session.onSharedDatabase() || !session.destination().equals(ClientSession.nameOf(
                            ClientSession.routeOf(next, context.router(), user, session.requestedDatabase()))));
        }, session -> ClientSession.accessChanged(session.userName(), session.destination()));
        if (ended > 0 || !changedUsers.isEmpty()) {
            log.info("{} users changed in the registry: {} sessions ended, as their logins would now be refused or go elsewhere",
                    changedUsers.size(), ended);
        }
    }

    /** Blocks until the server channel closes. */
    public void awaitClose() throws InterruptedException {
        serverChannel.closeFuture().sync();
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        context.sessions().closeAll(5, TimeUnit.SECONDS);
        pools.close();
        loops.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        blockingWork.shutdownNow();
        log.info("pgtenant stopped");
    }
}
