package dev.pgtenant.proxy;

import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.protocol.message.startup.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A client that writes exactly the bytes a test gives it, to probe the proxy with bad input. */
final class RawClient implements AutoCloseable {

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    RawClient(int port) throws IOException {
        this(port, 0);
    }

    /** With socket buffers of this many bytes each way (0: the system's), set before connecting so that the window stays small. */
    RawClient(int port, int socketBuffers) throws IOException {
        socket = new Socket();
        if (socketBuffers > 0) {
            socket.setReceiveBufferSize(socketBuffers);
            socket.setSendBufferSize(socketBuffers);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** How {@link #sendRepeatedly} ended. */
    enum Sending { ALL_SENT, CLOSED_BY_PEER, TIMED_OUT }

    /**
     * Sends {@code bytes} again and again until {@code total} bytes are out, the proxy closes the
     * connection, or {@code limit} has passed: a blocking write has no timeout of its own, so a proxy
     * that stopped reading would otherwise hold the test forever. On time out the connection is closed.
     */
    Sending sendRepeatedly(byte[] bytes, long total, Duration limit) {
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "raw-client-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        ScheduledFuture<?> closing = watchdog.schedule(() -> {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Nothing more to do: the time is up either way.
            }
        }, limit.toMillis(), TimeUnit.MILLISECONDS);
        try {
            for (long sent = 0; sent < total; sent += bytes.length) {
                send(bytes);
            }
            return closing.cancel(false) ? Sending.ALL_SENT : Sending.TIMED_OUT;
        } catch (IOException closed) {
            // A watchdog that could still be cancelled had not closed the socket: the proxy had.
            return closing.cancel(false) ? Sending.CLOSED_BY_PEER : Sending.TIMED_OUT;
        } finally {
            watchdog.shutdownNow();
        }
    }

    RawClient send(StartupPacket packet) throws IOException {
        return send(encode(packet::encode));
    }

    RawClient send(FrontendMessage message) throws IOException {
        return send(encode(message::encode));
    }

    RawClient startup(String user) throws IOException {
        return startup(user, "app");
    }

    RawClient startup(String user, String database) throws IOException {
        return startup(Map.of("user", user, "database", database));
    }

    RawClient startup(Map<String, String> parameters) throws IOException {
        return send(new StartupMessage(parameters));
    }

    int readByte() throws IOException {
        return in.read();
    }

    /** The bytes as they come, for a test that reads a message piece by piece. */
    DataInputStream input() {
        return in;
    }

    BackendMessage receive() throws IOException {
        byte type = in.readByte();
        int length = in.readInt();
        byte[] body = new byte[length - 4];
        in.readFully(body);
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            return BackendMessages.decode(type, buf);
        } finally {
            buf.release();
        }
    }

    /** The FATAL error the proxy sends before it closes; fails if anything else comes. */
    ErrorResponse fatal() throws IOException {
        BackendMessage message = receive();
        if (!(message instanceof ErrorResponse error)) {
            throw new AssertionError("expected an ErrorResponse but got " + message);
        }
        if (!"FATAL".equals(error.severity())) {
            throw new AssertionError("expected a FATAL error but got " + error.fields());
        }
        return error;
    }

    /** Whether the proxy has closed the connection (reads until end of stream, bounded by the timeout). */
    boolean closedByPeer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain whatever was still in flight
            }
            return true;
        } catch (EOFException | SocketException e) {
            return true;
        }
    }

    /** Bytes that have arrived and are not read yet. */
    int available() throws IOException {
        return in.available();
    }

    /** Reads in bulk until the proxy closes the connection; returns how many bytes came. */
    long drainUntilClosed() throws IOException {
        byte[] chunk = new byte[64 * 1024];
        long total = 0;
        try {
            for (int read = in.read(chunk); read >= 0; read = in.read(chunk)) {
                total += read;
            }
        } catch (SocketException reset) {
            // A close with bytes still unsent may reach the client as a reset: closed all the same.
        }
        return total;
    }

    static byte[] encode(Consumer<ByteBuf> encoder) {
        return dev.pgtenant.protocol.codec.MessageWriter.toBytes(encoder);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
