package dev.pgtenant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgtenant.testkit.TestPostgres;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class NettyRelayTest {

    private static final TestPostgres POSTGRES = TestPostgres.get();

    private static Connection through(NettyRelay relay) throws SQLException {
        Properties login = new Properties();
        login.setProperty("user", POSTGRES.superuser());
        if (POSTGRES.superuserPassword() != null) {
            login.setProperty("password", POSTGRES.superuserPassword());
        }
        login.setProperty("connectTimeout", "10");
        login.setProperty("socketTimeout", "30");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + relay.port() + "/postgres", login);
    }

    @Test
    void relaysSessionsAndResultsLargerThanItsBuffersToPostgres() throws Exception {
        try (NettyRelay relay = NettyRelay.start(0, new InetSocketAddress(POSTGRES.host(), POSTGRES.port()));
             Connection first = through(relay); Connection second = through(relay);
             Statement one = first.createStatement(); Statement two = second.createStatement()) {
            one.execute("SET application_name = 'first'");
            long bytes = 0;
            try (ResultSet rows = two.executeQuery("SELECT repeat('x', 1000) FROM generate_series(1, 20000)")) {
                while (rows.next()) {
                    bytes += rows.getString(1).length();
                }
            }
            assertThat(bytes).isEqualTo(20_000_000L);
            try (ResultSet name = two.executeQuery("SHOW application_name")) {
                name.next();
                assertThat(name.getString(1)).as("each client has its own server session").isNotEqualTo("first");
            }
        }
    }

    @Test
    void aClientWhoseServerIsUnreachableIsDisconnected() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (NettyRelay relay = NettyRelay.start(0, new InetSocketAddress("127.0.0.1", closedPort));
             Socket client = new Socket("127.0.0.1", relay.port())) {
            // A relay that left the client open would make this read time out instead of ending.
            client.setSoTimeout(20_000);
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
    }
}
