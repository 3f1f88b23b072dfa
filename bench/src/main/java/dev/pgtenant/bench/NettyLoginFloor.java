package dev.pgtenant.bench;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.BackendKeyData;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ParameterStatus;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.ReadyForQuery.TransactionStatus;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.startup.StartupPacket;
import dev.pgtenant.proxy.server.LeakDetection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The floor of a login for any proxy built on Netty, as {@link NettyRelay} is of a transaction: a
 * server with pgtenant's event-loop set-up (see {@link LoopbackListener}) that lets every client in
 * without a password, answers each simple query with one canned row and closes on Terminate. What
 * it costs per {@code pgbench -C} login is Netty's accept, channel set-up and tear-down and a
 * login's reads and writes, with no authentication and no backend: less than a SCRAM login through
 * a pool takes, so a lower bound. It is run by hand (see docs/benchmarks.md, "What a login costs").
 *
 * <p>Usage: {@code NettyLoginFloor LISTEN_PORT}; listens on 127.0.0.1. Run pgbench against it with a
 * script of {@code SELECT 1;} (the built-in scripts read tables it does not have).
 */
public final class NettyLoginFloor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NettyLoginFloor.class);

    private static final int INT4 = 23;
    /** Bounds what a client can make the floor wait for; no message it answers comes near. */
    static final int MAX_MESSAGE = 64 * 1024;
    /** How long a session that is ending may take to drain what it was sent before it is closed anyway. */
    private static final long DRAIN_SECONDS = 5;

    private static final byte[] LOGIN = encoded(
            new Authentication.Ok(),
            new ParameterStatus("server_version", "17.6"),
            new ParameterStatus("client_encoding", "UTF8"),
            new ParameterStatus("standard_conforming_strings", "on"),
            new ParameterStatus("integer_datetimes", "on"),
            new BackendKeyData(1, 2),
            new ReadyForQuery(TransactionStatus.IDLE));
    private static final byte[] ONE_ROW = encoded(
            new RowDescription(List.of(new RowDescription.Column("?column?", 0, (short) 0, INT4, (short) 4, -1, (short) 0))),
            new DataRow(List.of(ByteString.copyOf("1".getBytes(StandardCharsets.US_ASCII)))),
            new CommandComplete("SELECT 1"),
            new ReadyForQuery(TransactionStatus.IDLE));

    private final LoopbackListener listener;

    private NettyLoginFloor(LoopbackListener listener) {
        this.listener = listener;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: NettyLoginFloor LISTEN_PORT");
        }
        // As pgtenant runs: the floor must not pay for what pgtenant does not.
        LeakDetection.configure();
        start(Integer.parseInt(args[0])).listener.awaitClose();
    }

    /** Listens on 127.0.0.1 at {@code port} (0: any free port). */
    static NettyLoginFloor start(int port) throws InterruptedException {
        return new NettyLoginFloor(LoopbackListener.start("login-floor", port, true, new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel client) {
                client.pipeline().addLast(new Session());
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

    /** One client: the startup packets, then typed messages, each read whole before it is answered. */
    private static final class Session extends ByteToMessageDecoder {
        private boolean loggedIn;
        /** Why the session ends, once it is ending: what the client sends after that is not looked at. */
        private String ending;

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            while (ending == null) {
                int header = loggedIn ? 5 : 4;
                if (in.readableBytes() < header) {
                    return;
                }
                int start = in.readerIndex();
                int length = in.getInt(loggedIn ? start + 1 : start);
                if (length < (loggedIn ? 4 : 8) || length > MAX_MESSAGE) {
                    refuse(ctx, "a message length of " + length + " bytes");
                    break;
                }
                int whole = loggedIn ? length + 1 : length;
                if (in.readableBytes() < whole) {
                    return;
                }
                if (loggedIn) {
                    answer(ctx, in.getByte(start));
                } else {
                    startup(ctx, in.getInt(start + 4));
                }
                in.skipBytes(whole);
            }
            in.skipBytes(in.readableBytes());
        }

        private void startup(ChannelHandlerContext ctx, int code) {
            if (code == StartupPacket.SSL_REQUEST_CODE || code == StartupPacket.GSSENC_REQUEST_CODE) {
                ctx.write(ctx.alloc().buffer(1).writeByte('N'));
            } else if (code == StartupPacket.PROTOCOL_3_0) {
                ctx.write(ctx.alloc().buffer(LOGIN.length).writeBytes(LOGIN));
                loggedIn = true;
            } else {
                refuse(ctx, "a startup packet with code " + code);
            }
        }

        private void answer(ChannelHandlerContext ctx, byte type) {
            switch (type) {
                case 'Q' -> ctx.write(ctx.alloc().buffer(ONE_ROW.length).writeBytes(ONE_ROW));
                case 'X' -> end(ctx, "the client ended the session", Unpooled.EMPTY_BUFFER);
                default -> refuse(ctx, "a message of type " + describe(type) + " (only simple queries are answered)");
            }
        }

        /** Ends the session with a FATAL error the client can show. */
        private void refuse(ChannelHandlerContext ctx, String what) {
            log.info("closing {}, which sent {}", ctx.channel().remoteAddress(), what);
            ByteBuf error = ctx.alloc().buffer();
            ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, "the login floor does not take " + what).encode(error);
            end(ctx, "it sent " + what, error);
        }

        /**
         * Sends {@code last} after what is already answered, then closes; a client that does not
         * read it is closed anyway after a few seconds, or it would hold its connection for good.
         */
        private void end(ChannelHandlerContext ctx, String why, ByteBuf last) {
            ending = why;
            ChannelFuture sent = ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
            if (!sent.isDone()) {
                // Only then: a timer for every pgbench -C login would be part of what the floor measures.
                ctx.executor().schedule(() -> ctx.close(), DRAIN_SECONDS, TimeUnit.SECONDS);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            ctx.flush();
            // A client that sends queries and does not read the answers must not fill the memory.
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
            super.channelReadComplete(ctx);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            // At debug: pgbench -C ends a session hundreds of times a second, and this measures CPU.
            log.debug("session of {} ended: {}", ctx.channel().remoteAddress(),
                    ending != null ? ending : "the client closed the connection");
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.info("closing {} after an error: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /** A message type as a person can read it in an error or a log line. */
    private static String describe(byte type) {
        return type >= 0x21 && type <= 0x7e ? "'" + (char) type + "'" : String.format("0x%02x", type & 0xff);
    }

    /** The messages' frames one after the other, encoded once: a login writes them as they are. */
    private static byte[] encoded(BackendMessage... messages) {
        ByteBuf out = Unpooled.buffer();
        try {
            for (BackendMessage message : messages) {
                message.encode(out);
            }
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }
}
