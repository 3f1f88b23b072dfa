package dev.pgtenant.proxy.session;

import dev.pgtenant.protocol.SqlState;
import io.netty.channel.ChannelFuture;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every client connection from its start to its close, under the key pgtenant gives it in
 * BackendKeyData in place of a backend's own: a client never learns a backend's key, and a cancel
 * reaches only the backend serving the session that holds the key. One map serves cancels, ending an
 * organization's sessions and closing all at shutdown, so an idle client costs one entry.
 */
public final class LiveSessions {

    private static final Logger log = LoggerFactory.getLogger(LiveSessions.class);

    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger nextProcessId = new AtomicInteger(random.nextInt(1 << 20) + 1);
    private final Map<Integer, ClientSession> byProcessId = new ConcurrentHashMap<>();

    /**
     * Gives a session whose channel is set a key no live session holds, and adds it: the map publishes
     * the key and the channel to the threads that find the session. Process IDs come round again after
     * 2^31 connections, so one a long-lived session still holds is skipped.
     */
    void add(ClientSession session) {
        int processId;
        do {
            processId = nextProcessId.getAndUpdate(id -> id == Integer.MAX_VALUE ? 1 : id + 1);
            session.key(processId, random.nextInt());
        } while (byProcessId.putIfAbsent(processId, session) != null);
    }

    void remove(ClientSession session) {
        byProcessId.remove(session.processId(), session);
    }

    /** The session holding this key, or {@code null}; the secret is compared in constant time. */
    ClientSession find(int processId, int secret) {
        ClientSession session = byProcessId.get(processId);
        if (session == null || !MessageDigest.isEqual(bytes(session.secretKey()), bytes(secret))) {
            return null;
        }
        return session;
    }

    /** Ends every session in {@code destination} ("organization 101") with 57P01 and this message. */
    public int endSessions(String destination, String message) {
        return endSessions(session -> destination.equals(session.destination()), session -> message);
    }

    /**
     * Ends with 57P01 every session {@code ending} picks, each with the message {@code message} gives
     * it, and returns how many. Both run on the calling thread, so they may read only what a session
     * publishes to other threads: its destination, user name and requested database.
     */
    public int endSessions(Predicate<ClientSession> ending, Function<ClientSession, String> message) {
        int ended = 0;
        for (ClientSession session : byProcessId.values()) {
            if (ending.test(session)) {
                String text = message.apply(session);
                session.executor().execute(() -> session.fatal(SqlState.ADMIN_SHUTDOWN, text));
                ended++;
            }
        }
        return ended;
    }

    /**
     * Ends every client connection with 57P01, as PostgreSQL does at a shutdown. The error closes the
     * connection once written; a client that reads nothing never lets it be written, so after half
     * the timeout what is still open is closed without it.
     */
    public void closeAll(long timeout, TimeUnit unit) {
        List<ClientSession> sessions = new ArrayList<>(byProcessId.values());
        for (ClientSession session : sessions) {
            try {
                session.executor().execute(() -> session.fatal(SqlState.ADMIN_SHUTDOWN, "pgtenant is shutting down"));
            } catch (RejectedExecutionException loopStopped) {
                session.channel().close();
            }
        }
        long half = unit.toNanos(timeout) / 2;
        awaitClosed(sessions, System.nanoTime() + half);
        List<ClientSession> unread = sessions.stream().filter(session -> session.channel().isOpen()).toList();
        if (!unread.isEmpty()) {
            log.warn("{} client connection(s) did not take the shutdown notice within {} ms; closing them without it",
                    unread.size(), TimeUnit.NANOSECONDS.toMillis(half));
            unread.forEach(session -> session.channel().close());
        }
        awaitClosed(sessions, System.nanoTime() + half);
    }

    private static void awaitClosed(List<ClientSession> sessions, long deadline) {
        for (ClientSession session : sessions) {
            ChannelFuture closed = session.channel().closeFuture();
            closed.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    private static byte[] bytes(int value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }
}
