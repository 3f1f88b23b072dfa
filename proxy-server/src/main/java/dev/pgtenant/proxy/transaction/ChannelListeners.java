package dev.pgtenant.proxy.transaction;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.backend.NotificationResponse;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.proxy.backend.BackendConnection;
import dev.pgtenant.proxy.backend.BackendUser;
import dev.pgtenant.proxy.pool.BackendPool;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTEN for transaction-mode clients without a backend each: per database and role, one backend
 * connection listens to every channel some client listens to, and fans each notification out to
 * those clients. LISTEN and UNLISTEN of the clients become LISTEN and UNLISTEN of that connection
 * when the first client starts or the last one stops listening to a channel.
 */
public final class ChannelListeners {

    private static final Logger log = LoggerFactory.getLogger(ChannelListeners.class);

    /** A client that receives notifications: each a NotificationResponse message it now owns. */
    public interface Subscriber {
        void notification(ByteBuf message);
    }

    /**
     * By pool, not by database and role: a pool the registry stops routing to is retired, and when
     * the same database is routed to again its new pool gets a listener of its own.
     */
    private final Map<BackendPool, Listener> listeners = new ConcurrentHashMap<>();

    /** Starts delivering {@code channel}'s notifications to {@code subscriber}; completes once in effect. */
    public CompletableFuture<Void> listen(BackendPool pool, EventExecutor loop, String channel, Subscriber subscriber) {
        Listener listener = listeners.get(pool);
        if (listener == null) {
            listeners.values().removeIf(Listener::isDone);
            listener = listeners.computeIfAbsent(pool, p -> new Listener(p, loop));
        }
        return listener.listen(channel, subscriber);
    }

    /** Stops delivering {@code channel} ({@code null}: every channel) to {@code subscriber}. */
    public CompletableFuture<Void> unlisten(BackendPool pool, String channel, Subscriber subscriber) {
        Listener listener = listeners.get(pool);
        return listener == null ? CompletableFuture.completedFuture(null) : listener.unlisten(channel, subscriber);
    }

    /** The subscriber is gone; on every database. */
    public void forget(Subscriber subscriber) {
        listeners.values().forEach(listener -> listener.unlisten(null, subscriber));
    }

    /** The listening connection of one database and role. */
    private static final class Listener implements BackendUser {
        private final BackendPool pool;
        private final EventExecutor loop;
        private final Map<String, Set<Subscriber>> channels = new HashMap<>();
        private final ArrayDeque<Command> commands = new ArrayDeque<>();
        private BackendConnection connection;
        private boolean acquiring;
        private boolean commandRunning;

        private record Command(String sql, CompletableFuture<Void> done) {
        }

        Listener(BackendPool pool, EventExecutor loop) {
            this.pool = pool;
            this.loop = loop;
        }

        /** Of a retired pool, with nobody listening and nothing held: no session can reach it again. */
        synchronized boolean isDone() {
            return pool.isRetired() && channels.isEmpty() && commands.isEmpty() && connection == null && !acquiring;
        }

        synchronized CompletableFuture<Void> listen(String channel, Subscriber subscriber) {
            Set<Subscriber> subscribers = channels.computeIfAbsent(channel, c -> new HashSet<>());
            boolean first = subscribers.isEmpty();
            subscribers.add(subscriber);
            if (first) {
                return command("LISTEN " + quote(channel));
            }
            // A LISTEN of this channel still on its way is in effect for this subscriber only once it is done.
            String sql = "LISTEN " + quote(channel);
            return commands.stream().filter(c -> c.sql().equals(sql)).map(Command::done).reduce((a, b) -> b)
                    .orElse(CompletableFuture.completedFuture(null));
        }

        synchronized CompletableFuture<Void> unlisten(String channel, Subscriber subscriber) {
            CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
            for (String name : channel == null ? List.copyOf(channels.keySet()) : List.of(channel)) {
                Set<Subscriber> subscribers = channels.get(name);
                if (subscribers != null && subscribers.remove(subscriber) && subscribers.isEmpty()) {
                    channels.remove(name);
                    last = command("UNLISTEN " + quote(name));
                }
            }
            return last;
        }

        private CompletableFuture<Void> command(String sql) {
            Command command = new Command(sql, new CompletableFuture<>());
            commands.add(command);
            runNext();
            return command.done();
        }

        /** Called with the monitor held. */
        private void runNext() {
            if (commandRunning || commands.isEmpty()) {
                return;
            }
            if (connection == null) {
                if (!acquiring) {
                    acquiring = true;
                    pool.acquire(loop, (acquired, problem) -> connected(acquired, problem));
                }
                return;
            }
            commandRunning = true;
            BackendConnection current = connection;
            String sql = commands.peek().sql();
            current.onLoop(() -> current.send(new Query(sql)));
        }

        private synchronized void connected(BackendConnection acquired, ProtocolException problem) {
            acquiring = false;
            if (problem != null) {
                log.warn("no backend connection to listen on {}: {}; its listeners are dropped", pool.target().describe(),
                        problem.getMessage());
                commands.forEach(c -> c.done().completeExceptionally(problem));
                commands.clear();
                channels.clear();
                return;
            }
            connection = acquired;
            Listener self = this;
            acquired.onLoop(() -> acquired.setUser(self));
            runNext();
        }

        @Override
        public void backendFrame(Frame frame) {
            try {
                if (frame.type() == 'A') {
                    deliver(frame);
                } else if (frame.type() == 'Z') {
                    commandDone();
                }
            } finally {
                frame.release();
            }
        }

        private void deliver(Frame frame) {
            NotificationResponse notification;
            try {
                notification = (NotificationResponse) BackendMessages.decode(frame.type(), frame.body());
            } catch (ProtocolException e) {
                log.warn("malformed notification from {}: {}", pool.target().describe(), e.getMessage());
                return;
            }
            List<Subscriber> subscribers;
            synchronized (this) {
                Set<Subscriber> listening = channels.get(notification.channel());
                subscribers = listening == null ? List.of() : List.copyOf(listening);
            }
            for (Subscriber subscriber : subscribers) {
                subscriber.notification(frame.content().retainedDuplicate());
            }
        }

        private synchronized void commandDone() {
            commandRunning = false;
            Command done = commands.poll();
            if (done != null) {
                done.done().complete(null);
            }
            if (commands.isEmpty() && channels.isEmpty() && connection != null) {
                BackendConnection idle = connection;
                connection = null;
                idle.onLoop(() -> {
                    idle.setUser(null);
                    pool.resetAndRelease(idle);
                });
                return;
            }
            runNext();
        }

        @Override
        public synchronized void backendClosed(String reason) {
            log.warn("the listening connection to {} closed ({}); listening again", pool.target().describe(), reason);
            BackendConnection lost = connection;
            connection = null;
            commandRunning = false;
            ProtocolException failure = new ProtocolException(dev.pgtenant.protocol.SqlState.CONNECTION_FAILURE,
                    "the shared listening connection was lost (" + reason + ")");
            commands.forEach(c -> c.done().completeExceptionally(failure));
            commands.clear();
            if (!channels.isEmpty()) {
                for (String channel : channels.keySet()) {
                    commands.add(new Command("LISTEN " + quote(channel), new CompletableFuture<>()));
                }
                runNext();
            }
            if (lost != null) {
                pool.discard(lost, reason);
            }
        }

        private static String quote(String channel) {
            return "\"" + channel.replace("\"", "\"\"") + "\"";
        }
    }
}
