package dev.pgtenant.protocol.auth;

import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.frontend.FrontendMessage;
import dev.pgtenant.protocol.message.startup.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.function.Consumer;

/** A minimal blocking PostgreSQL client built on the codec, for tests against a real server. */
final class BlockingWire implements AutoCloseable {

    private static final int TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private BlockingWire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    static BlockingWire connect(String host, int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        return new BlockingWire(socket);
    }

    void send(StartupPacket packet) throws IOException {
        write(packet::encode);
    }

    void send(FrontendMessage message) throws IOException {
        write(message::encode);
    }

    BackendMessage receive() throws IOException {
        byte type = in.readByte();
        int length = in.readInt();
        if (length < 4 || length > 16 * 1024 * 1024) {
            throw new IOException("implausible message length " + length);
        }
        byte[] body = new byte[length - 4];
        in.readFully(body);
        ByteBuf buf = Unpooled.wrappedBuffer(body);
        try {
            return BackendMessages.decode(type, buf);
        } finally {
            buf.release();
        }
    }

    private void write(Consumer<ByteBuf> encoder) throws IOException {
        ByteBuf buf = Unpooled.buffer();
        try {
            encoder.accept(buf);
            buf.readBytes(out, buf.readableBytes());
            out.flush();
        } finally {
            buf.release();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
