package dev.pgtenant.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.protocol.message.startup.StartupMessage;
import dev.pgtenant.protocol.message.startup.StartupPacket;
import dev.pgtenant.testkit.BufferLeaks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

// On a thread of its own: a floor whose loop got stuck would otherwise hang the test, not fail it.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NettyLoginFloorTest {

    @BeforeAll
    static void watchBuffers() {
        BufferLeaks.watch();
    }

    @AfterEach
    void nothingLeaked() {
        BufferLeaks.assertNoLeaks();
    }

    private static Connection login(NettyLoginFloor floor, String queryMode) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", "anyone");
        login.setProperty("preferQueryMode", queryMode);
        login.setProperty("connectTimeout", "10");
        login.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + floor.port() + "/any", login);
    }

    @Test
    void letsClientsInAndAnswersTheirSimpleQueries() throws Exception {
        try (NettyLoginFloor floor = NettyLoginFloor.start(0)) {
            // Three logins in a row, as pgbench -C makes them; pgjdbc asks for TLS first and is told no.
            for (int i = 0; i < 3; i++) {
                try (Connection connection = login(floor, "simple");
                     Statement statement = connection.createStatement();
                     ResultSet rows = statement.executeQuery("SELECT 1")) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getInt(1)).isEqualTo(1);
                    assertThat(rows.next()).isFalse();
                }
            }
        }
    }

    @Test
    void refusesMalformedOversizedAndUnansweredMessagesWithAnErrorAndCloses() throws Exception {
        int oversized = NettyLoginFloor.MAX_MESSAGE + 1;
        try (NettyLoginFloor floor = NettyLoginFloor.start(0)) {
            assertThat(exchange(floor, startupLength(3))).as("a startup packet shorter than its header")
                    .contains("08P01", "message length of 3 bytes");
            assertThat(exchange(floor, startupLength(oversized))).as("an oversized startup packet")
                    .contains("08P01", "message length of " + oversized + " bytes");
            // The header alone: the floor must refuse without waiting for the body, and a body it does
            // not read would make its close a reset.
            assertThat(exchange(floor, concat(startup(), header('Q', oversized)))).as("an oversized query")
                    .contains("08P01", "message length of " + oversized + " bytes");
            assertThat(exchange(floor, concat(startup(), new byte[] {'Q', (byte) 0xff, 0, 0, 0}))).as("a negative length")
                    .contains("08P01", "message length of -16777216 bytes");
            assertThat(exchange(floor, concat(startup(), typed((char) 1, new byte[0])))).as("an unprintable type")
                    .contains("08P01", "type 0x01 (");
            try (Connection extended = login(floor, "extended"); Statement statement = extended.createStatement()) {
                assertThatThrownBy(() -> statement.executeQuery("SELECT 1")).as("pgjdbc's Parse, refused whole")
                        .isInstanceOfSatisfying(SQLException.class, e -> {
                            assertThat(e.getSQLState()).isEqualTo("08P01");
                            assertThat(e.getMessage()).contains("the login floor does not take a message of type 'P'");
                        });
            }
        }
    }

    @Test
    void aClientThatLeavesMidMessageLeavesTheFloorServing() throws Exception {
        try (NettyLoginFloor floor = NettyLoginFloor.start(0)) {
            byte[] startup = startup();
            try (Socket client = new Socket("127.0.0.1", floor.port())) {
                client.getOutputStream().write(startup, 0, startup.length / 2);
            }
            assertThat(exchange(floor, concat(startup, typed('Q', "SELECT 1\0".getBytes(StandardCharsets.UTF_8)),
                    typed('X', new byte[0])))).as("the next client's login, query and Terminate")
                    .contains("server_version", "SELECT 1").doesNotContain("08P01");
        }
    }

    /** Sends the bytes and reads what comes back until the floor closes the connection. */
    private static String exchange(NettyLoginFloor floor, byte[] request) throws IOException {
        try (Socket client = new Socket("127.0.0.1", floor.port())) {
            // A floor that left the connection open would make this read time out instead of ending.
            client.setSoTimeout(20_000);
            client.getOutputStream().write(request);
            InputStream in = client.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static byte[] startup() {
        ByteBuf packet = Unpooled.buffer();
        try {
            new StartupMessage(Map.of("user", "anyone")).encode(packet);
            return ByteBufUtil.getBytes(packet);
        } finally {
            packet.release();
        }
    }

    private static byte[] startupLength(int length) throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(packet);
        data.writeInt(length);
        data.writeInt(StartupPacket.PROTOCOL_3_0);
        return packet.toByteArray();
    }

    private static byte[] header(char type, int length) throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(packet);
        data.writeByte(type);
        data.writeInt(length);
        return packet.toByteArray();
    }

    private static byte[] typed(char type, byte[] body) throws IOException {
        ByteArrayOutputStream packet = new ByteArrayOutputStream();
        DataOutputStream data = new DataOutputStream(packet);
        data.writeByte(type);
        data.writeInt(body.length + 4);
        data.write(body);
        return packet.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuf joined = Unpooled.wrappedBuffer(parts);
        try {
            return ByteBufUtil.getBytes(joined);
        } finally {
            joined.release();
        }
    }
}
