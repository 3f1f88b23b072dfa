package dev.pgtenant.bench;

import dev.pgtenant.protocol.auth.ClientLogin;
import dev.pgtenant.protocol.auth.ScramClientExchange;
import dev.pgtenant.protocol.auth.ScramCredentials;
import dev.pgtenant.protocol.message.backend.Authentication;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.Terminate;
import dev.pgtenant.protocol.message.startup.StartupMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Map;

/**
 * A minimal blocking PostgreSQL client for what pgbench cannot do: hold thousands of authenticated
 * idle connections, and read a large result as fast as the wire delivers it without building rows.
 */
final class WireClient implements AutoCloseable {

    private static final int READ_BUFFER = 256 * 1024;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private byte[] body = new byte[8192];

    private WireClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), READ_BUFFER));
        this.out = socket.getOutputStream();
    }

    /**
     * Connects and logs in. {@code credentials} is shared between connections so that its SCRAM key
     * cache spares the client a PBKDF2 per login, as a pooled application's driver would.
     */
    static WireClient login(Target target, String user, ScramCredentials credentials) throws IOException {
        Socket socket = new Socket("127.0.0.1", target.port());
        socket.setSoTimeout(120_000);
        socket.setTcpNoDelay(true);
        WireClient client = new WireClient(socket);
        try {
            client.send(encode(new StartupMessage(Map.of("user", user, "database", target.database()))::encode));
            ClientLogin login = ClientLogin.withScram(user, credentials, ScramClientExchange.DEFAULT_MAX_ITERATIONS);
            while (true) {
                byte type = client.in.readByte();
                int length = client.in.readInt();
                byte[] bytes = new byte[length - 4];
                client.in.readFully(bytes);
                if (type == 'Z') {
                    return client;
                }
                if (type != 'R' && type != 'E') {
                    continue;
                }
                BackendMessage message = decode(type, bytes);
                if (message instanceof ErrorResponse error) {
                    throw new IOException("login to " + target.name() + " failed: " + error.message());
                }
                if (!login.authenticated()) {
                    var answer = login.respond((Authentication) message);
                    if (answer.isPresent()) {
                        client.send(encode(answer.get()::encode));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** Runs one simple query and reads its whole answer; returns the bytes of row and COPY data received. */
    long drain(String sql) throws IOException {
        send(encode(new Query(sql)::encode));
        long dataBytes = 0;
        String error = null;
        while (true) {
            byte type = in.readByte();
            int length = in.readInt() - 4;
            if (type == 'E') {
                byte[] bytes = new byte[length];
                in.readFully(bytes);
                error = ((ErrorResponse) decode(type, bytes)).message();
                continue;
            }
            if (length > body.length) {
                body = new byte[length];
            }
            in.readFully(body, 0, length);
            if (type == 'D' || type == 'd') {
                dataBytes += length + 5;
            } else if (type == 'Z') {
                if (error != null) {
                    throw new IOException(sql + ": " + error);
                }
                return dataBytes;
            }
        }
    }

    private void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    private static BackendMessage decode(byte type, byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        try {
            return BackendMessages.decode(type, buf);
        } finally {
            buf.release();
        }
    }

    private static byte[] encode(java.util.function.Consumer<ByteBuf> encoder) {
        return dev.pgtenant.protocol.codec.MessageWriter.toBytes(encoder);
    }

    @Override
    public void close() {
        try {
            if (!socket.isClosed()) {
                send(encode(new Terminate()::encode));
            }
        } catch (IOException e) {
            // The peer is gone already; closing the socket is all that is left.
        }
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing more to release.
        }
    }
}
