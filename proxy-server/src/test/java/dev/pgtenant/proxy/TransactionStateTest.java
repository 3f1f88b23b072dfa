package dev.pgtenant.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgtenant.config.PoolMode;
import dev.pgtenant.config.PoolSettings;
import dev.pgtenant.config.registry.BackendAddress;
import dev.pgtenant.config.registry.BackendLogin;
import dev.pgtenant.config.registry.Organization;
import dev.pgtenant.config.registry.Registry;
import dev.pgtenant.config.registry.User;
import dev.pgtenant.protocol.auth.ScramVerifier;
import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BindComplete;
import dev.pgtenant.protocol.message.backend.CloseComplete;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.NotificationResponse;
import dev.pgtenant.protocol.message.backend.ParameterDescription;
import dev.pgtenant.protocol.message.backend.ParseComplete;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.frontend.Bind;
import dev.pgtenant.protocol.message.frontend.Close;
import dev.pgtenant.protocol.message.frontend.Describe;
import dev.pgtenant.protocol.message.frontend.Execute;
import dev.pgtenant.protocol.message.frontend.Parse;
import dev.pgtenant.protocol.message.frontend.PortalOrStatement;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.Sync;
import dev.pgtenant.testkit.Await;
import dev.pgtenant.testkit.TestPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** Session state in transaction mode: carried where it can be, pinned where it cannot. */
class TransactionStateTest {

    private static ProxyFixture proxy;

    @BeforeAll
    static void start() throws SQLException {
        proxy = ProxyFixture.start(ProxyFixture.transactionPool(2), "a");
    }

    @AfterAll
    static void stop() {
        proxy.close();
    }

    private static String single(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            return SessionResetTest.single(statement, sql);
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** Occupies one backend with an open transaction, so the next query of another client must use the other. */
    private static Connection holdOneBackend() throws SQLException {
        Connection holder = proxy.connect("a");
        holder.setAutoCommit(false);
        single(holder, "SELECT 1");
        return holder;
    }

    @Test
    void aReportedSettingFollowsItsClientToAnotherBackendAndNowhereElse() throws SQLException {
        try (Connection changer = proxy.connect("a"); Connection other = proxy.connect("a")) {
            execute(changer, "SET application_name = 'changer-app'");
            String firstPid = single(changer, "SELECT pg_backend_pid()");
            String seenByChanger;
            String seenByOther;
            try (Connection holder = holdOneBackend()) {
                seenByChanger = single(changer, "SELECT current_setting('application_name') || ' ' || pg_backend_pid()");
                seenByOther = single(other, "SELECT current_setting('application_name')");
                holder.rollback();
            }
            assertThat(seenByChanger).startsWith("changer-app ");
            assertThat(seenByOther).isNotEqualTo("changer-app");
            assertThat(firstPid).isNotBlank();
        }
    }

    /**
     * Each login keeps the reported settings it asked for, on the backend whose last client had others
     * and on the next: what a backend connection keeps of its reported settings is gathered again
     * after they change, and the session carries those.
     */
    @Test
    void eachLoginGetsItsOwnReportedSettingOnABackendThatHadAnother() throws SQLException {
        for (int i = 0; i < 6; i++) {
            String name = "login-" + i % 3;
            try (Connection login = proxy.connect(proxy.user("a"), ProxyFixture.PASSWORD, "app?ApplicationName=" + name)) {
                assertThat(single(login, "SHOW application_name")).isEqualTo(name);
                try (Connection holder = holdOneBackend()) {
                    assertThat(single(login, "SHOW application_name")).isEqualTo(name);
                    holder.rollback();
                }
            }
        }
    }

    @Test
    void listenersShareOneBackendAndEveryOneGetsTheNotification() throws SQLException {
        long pinsBefore = proxy.server().statementCounters().pins();
        try (Connection first = proxy.connect("a"); Connection second = proxy.connect("a");
             Connection notifier = proxy.connect("a")) {
            execute(first, "LISTEN jobs");
            try (Statement simple = second.createStatement()) {
                simple.execute("  \n listen \"jobs\"");
            }
            execute(notifier, "NOTIFY jobs, 'job 1'");
            for (Connection listener : List.of(first, second)) {
                PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(10_000);
                assertThat(received).isNotNull().hasSize(1);
                assertThat(received[0].getName()).isEqualTo("jobs");
                assertThat(received[0].getParameter()).isEqualTo("job 1");
            }
            assertThat(proxy.server().statementCounters().pins()).isEqualTo(pinsBefore);
            assertThat(single(first, "SELECT 'listening clients hold no backend'")).isNotBlank();

            execute(first, "UNLISTEN jobs");
            execute(notifier, "NOTIFY jobs, 'job 2'");
            PGNotification[] stillListening = second.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(stillListening).isNotNull().hasSize(1);
            assertThat(stillListening[0].getParameter()).isEqualTo("job 2");
            assertThat(first.unwrap(PGConnection.class).getNotifications(200)).isNullOrEmpty();
        }
    }

    /**
     * An organization moved to another backend and back gets a new pool for its database; its
     * clients must listen through that pool, not through the retired one the first listener used.
     */
    @Test
    void listeningWorksAgainAfterTheOrganizationMovedAwayAndBack() throws Exception {
        try (ProxyFixture moving = ProxyFixture.start(ProxyFixture.transactionPool(2), "m")) {
            try (Connection first = moving.connect("m")) {
                execute(first, "LISTEN returns");
            }
            Organization org = moving.registry().organization(moving.orgId("m")).orElseThrow();
            BackendLogin home = org.backend();
            BackendLogin away = new BackendLogin(new BackendAddress("localhost", home.server().port()), home.database(),
                    home.user(), home.password());
            move(moving, new Organization(org.id(), away, org.poolMode()));
            move(moving, org);
            try (Connection listener = moving.connect("m"); Connection notifier = moving.connect("m")) {
                execute(listener, "LISTEN returns");
                execute(notifier, "NOTIFY returns, 'back home'");
                PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(10_000);
                assertThat(received).isNotNull().hasSize(1);
                assertThat(received[0].getParameter()).isEqualTo("back home");
            }
        }
    }

    /** Changes the registry as a reload does: the pools of targets no longer routed to are retired. */
    private static void move(ProxyFixture proxy, Organization to) {
        Registry before = proxy.registry();
        proxy.update(registry -> registry.withOrganization(to));
        proxy.server().registryChanged(before, proxy.registry());
    }

    /**
     * PostgreSQL cuts a channel name to 63 bytes, in LISTEN as in NOTIFY. A longer one goes to a
     * backend, which pins the session, rather than to the shared listening connection, whose
     * notifications the proxy hands out by the name it was asked for.
     */
    @Test
    void aChannelNameLongerThanAnIdentifierStillGetsItsNotifications() throws SQLException {
        String channel = "c".repeat(70);
        long pinsBefore = proxy.server().statementCounters().pins();
        try (Connection listener = proxy.connect("a"); Connection notifier = proxy.connect("a")) {
            execute(listener, "LISTEN " + channel);
            execute(notifier, "NOTIFY " + channel + ", 'long'");
            PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(received).isNotNull().hasSize(1);
            assertThat(received[0].getParameter()).isEqualTo("long");
            assertThat(proxy.server().statementCounters().pins()).isEqualTo(pinsBefore + 1);
        }
    }

    /**
     * The batch drivers send for a LISTEN (pgjdbc's Statement.execute), answered by the proxy with
     * every reply it asks for: NoData for its Describe of the portal, and none for the batch without
     * one. The LISTEN then takes effect: another session's NOTIFY reaches the client.
     */
    @Test
    void theDriversListenBatchGetsTheRepliesItAskedFor() throws Exception {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            sendDriversBatch(client, "LISTEN driver_batch", true);
            assertThat(repliesUntilReady(client)).containsExactly("ParseComplete", "BindComplete", "NoData", "CommandComplete LISTEN",
                    "ReadyForQuery");
            sendDriversBatch(client, "UNLISTEN driver_batch", false);
            assertThat(repliesUntilReady(client)).containsExactly("ParseComplete", "BindComplete", "CommandComplete UNLISTEN",
                    "ReadyForQuery");
            sendDriversBatch(client, "LISTEN driver_batch", true);
            assertThat(repliesUntilReady(client)).contains("NoData").endsWith("ReadyForQuery");
            try (Connection notifier = proxy.connect("a"); Statement statement = notifier.createStatement()) {
                statement.execute("NOTIFY driver_batch, 'hello'");
            }
            assertThat(((NotificationResponse) client.raw().receive()).payload()).isEqualTo("hello");
        }
    }

    /** Parse of the unnamed statement, Bind, a Describe of the portal when asked, Execute, Sync. */
    private static void sendDriversBatch(ScramClient client, String sql, boolean describe) throws IOException {
        client.raw().send(new Parse("", sql, List.of())).send(new Bind("", "", List.of(), List.of(), List.of()));
        if (describe) {
            client.raw().send(new Describe(PortalOrStatement.PORTAL, ""));
        }
        client.raw().send(new Execute("", 0)).send(new Sync());
    }

    /** The replies up to and with the next ReadyForQuery, by name; a CommandComplete with its tag. */
    private static List<String> repliesUntilReady(ScramClient client) throws IOException {
        List<String> names = new ArrayList<>();
        BackendMessage reply;
        do {
            reply = client.raw().receive();
            names.add(reply instanceof CommandComplete complete ? "CommandComplete " + complete.tag() : reply.getClass().getSimpleName());
        } while (!(reply instanceof ReadyForQuery) && names.size() < 20);
        return names;
    }

    /**
     * The proxy answers a LISTEN batch itself only in the shape its answer fits (Parse, Bind, an
     * optional Describe of the portal, Execute, Sync). Executed twice, the batch goes to a backend,
     * and the client gets every reply it asked for.
     */
    @Test
    void aListenBatchOfAnotherShapeGetsEveryReplyFromABackend() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            client.raw()
                    .send(new Parse("", "LISTEN twice", List.of()))
                    .send(new Bind("", "", List.of(), List.of(), List.of()))
                    .send(new Execute("", 0))
                    .send(new Bind("", "", List.of(), List.of(), List.of()))
                    .send(new Execute("", 0))
                    .send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
            for (int execution = 0; execution < 2; execution++) {
                assertThat(client.raw().receive()).isInstanceOf(BindComplete.class);
                assertThat(((CommandComplete) client.raw().receive()).tag()).isEqualTo("LISTEN");
            }
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
        }
    }

    /** A batch whose Bind names another statement runs that statement, whatever the Parse before it said. */
    @Test
    void aListenParseFollowedByTheBindOfAnotherStatementRunsThatStatement() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            client.raw().send(new Parse("answer", "SELECT 42", List.of())).send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            client.raw()
                    .send(new Parse("", "LISTEN elsewhere", List.of()))
                    .send(new Bind("", "answer", List.of(), List.of(), List.of()))
                    .send(new Execute("", 0))
                    .send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(client.raw().receive()).isInstanceOf(BindComplete.class);
            assertThat(text((DataRow) client.raw().receive(), 0)).isEqualTo("42");
            assertThat(((CommandComplete) client.raw().receive()).tag()).isEqualTo("SELECT 1");
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
        }
    }

    /**
     * The proxy matches LISTEN, UNLISTEN and DEALLOCATE text on its event loop. Long runs of white
     * space and long quoted names must not cost more than a scan (a pattern that split a run of spaces
     * between two quantifiers took time quadratic in it), and a command too long to be answered by the
     * proxy goes to the backend. The socket's 10 s timeout bounds each reply.
     */
    @Test
    void longListenAndDeallocateTextIsAnsweredWithoutStallingTheEventLoop() throws IOException {
        String spaces = " ".repeat(200_000);
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            for (String sql : List.of("LISTEN a" + spaces + "x", "DEALLOCATE a" + spaces + "x", "UNLISTEN \"" + "q".repeat(60_000))) {
                client.raw().send(new Query(sql));
                assertThat(client.raw().receive()).as(sql.substring(0, 12)).isInstanceOf(ErrorResponse.class);
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            }
            client.raw().send(new Query("LISTEN" + spaces + "\"" + "q\"\"".repeat(20) + "\"" + spaces + ";" + spaces));
            BackendMessage reply = client.raw().receive();
            while (!(reply instanceof CommandComplete)) {
                assertThat(reply).isNotInstanceOf(ErrorResponse.class);
                reply = client.raw().receive();
            }
            assertThat(((CommandComplete) reply).tag()).isEqualTo("LISTEN");
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
        }
    }

    @Test
    void listenInsideATransactionPins() throws SQLException {
        long pinsBefore = proxy.server().statementCounters().pins();
        try (Connection listener = proxy.connect("a"); Connection notifier = proxy.connect("a")) {
            listener.setAutoCommit(false);
            execute(listener, "LISTEN in_transaction");
            listener.commit();
            execute(notifier, "NOTIFY in_transaction, 'x'");
            PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(10_000);
            assertThat(received).isNotNull().hasSize(1);
        }
        assertThat(proxy.server().statementCounters().pins()).isGreaterThan(pinsBefore);
    }

    @Test
    void sessionAdvisoryLockKeepsItsBackend() throws SQLException {
        try (Connection locker = proxy.connect("a")) {
            String pid = single(locker, "SELECT pg_backend_pid() FROM (SELECT pg_advisory_lock(777)) l");
            try (Connection holder = holdOneBackend()) {
                assertThat(single(locker, "SELECT pg_backend_pid()")).isEqualTo(pid);
                assertThat(single(locker, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"))
                        .isEqualTo("1");
                holder.rollback();
            }
        }
        Await.until(() -> proxy.stats("a").active() == 0, Duration.ofSeconds(10), () -> "" + proxy.stats("a"));
        try (Connection next = proxy.connect("a"); Connection second = proxy.connect("a")) {
            assertThat(single(next, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isEqualTo("0");
            assertThat(single(second, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")).isEqualTo("0");
        }
    }

    @Test
    void namedStatementsPreparedOnceAndBoundManyTimesAcrossBackends() throws IOException, SQLException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            client.raw().send(new Parse("add_one", "SELECT $1::int + 1, pg_backend_pid()", List.of(23))).send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            List<String> pids = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                Connection holder = i % 2 == 0 ? holdOneBackend() : null;
                client.raw().send(new Bind("", "add_one", List.of(), List.of(ByteString.copyOf(Integer.toString(i).getBytes())),
                        List.of())).send(new Execute("", 0)).send(new Sync());
                assertThat(client.raw().receive()).isInstanceOf(BindComplete.class);
                DataRow row = (DataRow) client.raw().receive();
                assertThat(text(row, 0)).isEqualTo(Integer.toString(i + 1));
                pids.add(text(row, 1));
                assertThat(client.raw().receive()).isInstanceOf(CommandComplete.class);
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
                if (holder != null) {
                    holder.rollback();
                    holder.close();
                }
            }
            assertThat(pids.stream().distinct().count()).as("the statement ran on more than one backend").isGreaterThan(1);

            client.raw().send(new Describe(PortalOrStatement.STATEMENT, "add_one")).send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(ParameterDescription.class);
            assertThat(client.raw().receive()).isInstanceOf(RowDescription.class);
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);

            client.raw().send(new Parse("add_one", "SELECT 2", List.of())).send(new Sync());
            ErrorResponse duplicate = (ErrorResponse) client.raw().receive();
            assertThat(duplicate.sqlState()).isEqualTo("42P05");
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);

            client.raw().send(new Close(PortalOrStatement.STATEMENT, "add_one")).send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(CloseComplete.class);
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            client.raw().send(new Bind("", "add_one", List.of(), List.of(), List.of())).send(new Sync());
            assertThat(((ErrorResponse) client.raw().receive()).sqlState()).isEqualTo("26000");
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
        }
    }

    @Test
    void errorInsideAPipelineSkipsToSyncAsPostgresqlDoes() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            client.raw()
                    .send(new Parse("ok_one", "SELECT 1", List.of()))
                    .send(new Parse("broken", "SELECT * FROM no_such_table", List.of()))
                    .send(new Parse("never", "SELECT 3", List.of()))
                    .send(new Bind("", "ok_one", List.of(), List.of(), List.of()))
                    .send(new Execute("", 0))
                    .send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(((ErrorResponse) client.raw().receive()).sqlState()).isEqualTo("42P01");
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            client.raw().send(new Bind("", "never", List.of(), List.of(), List.of())).send(new Sync());
            assertThat(((ErrorResponse) client.raw().receive()).sqlState()).isEqualTo("26000");
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            client.raw().send(new Bind("", "ok_one", List.of(), List.of(), List.of())).send(new Execute("", 0)).send(new Sync());
            assertThat(client.raw().receive()).isInstanceOf(BindComplete.class);
            assertThat(text((DataRow) client.raw().receive(), 0)).isEqualTo("1");
            assertThat(client.raw().receive()).isInstanceOf(CommandComplete.class);
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
        }
    }

    @Test
    void deallocateOfAProtocolStatementIsAnswered() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            Map<String, String> deallocations = new LinkedHashMap<>();
            deallocations.put("p1", "DEALLOCATE p1");
            deallocations.put("p2", " \n\tdeAllocate p2");
            for (Map.Entry<String, String> deallocation : deallocations.entrySet()) {
                String name = deallocation.getKey();
                client.raw().send(new Parse(name, "SELECT 1", List.of())).send(new Sync());
                assertThat(client.raw().receive()).isInstanceOf(ParseComplete.class);
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
                client.raw().send(new Query(deallocation.getValue()));
                assertThat(client.raw().receive()).isEqualTo(new CommandComplete("DEALLOCATE"));
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
                client.raw().send(new Bind("", name, List.of(), List.of(), List.of())).send(new Sync());
                assertThat(((ErrorResponse) client.raw().receive()).sqlState()).isEqualTo("26000");
                assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            }
        }
    }

    @Test
    void disconnectsAtEveryPointLeaveACleanPool() throws Exception {
        String[][] scripts = {
                {"BEGIN", "INSERT INTO canary VALUES ('dirty')"},
                {"SELECT pg_sleep(0)"},
                {"BEGIN"},
                {"SELECT 1"},
        };
        for (String[] script : scripts) {
            for (boolean midQuery : new boolean[] {false, true}) {
                try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
                    client.awaitReady();
                    for (String sql : script) {
                        client.raw().send(new Query(sql));
                        client.awaitReady();
                    }
                    if (midQuery) {
                        client.raw().send(new Query("SELECT pg_sleep(0.2)"));
                    }
                }
                Await.until(() -> proxy.stats("a").active() == 0 && proxy.stats("a").waiting() == 0,
                        Duration.ofSeconds(10), () -> "pool not back to baseline: " + proxy.stats("a"));
            }
        }
        try (Connection check = proxy.connect("a")) {
            assertThat(single(check, "SELECT count(*) FROM canary WHERE org = 'dirty'")).isEqualTo("0");
            assertThat(single(check, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    + "AND state LIKE 'idle in transaction%'")).isEqualTo("0");
        }
    }

    @Test
    void refusedWhenPinningIsOff() throws SQLException {
        try (ProxyFixture strict = ProxyFixture.start(new dev.pgtenant.config.PoolSettings("transaction", 2, 0, null, null,
                null, null, null, null, null, null, false), "s");
             Connection connection = strict.connect("s")) {
            assertThatThrownBy(() -> single(connection, "SELECT pg_advisory_lock(1)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> {
                        assertThat(e.getSQLState()).isEqualTo("0A000");
                        assertThat(e.getMessage()).contains("session advisory lock").contains("transaction pooling");
                    });
            assertThat(single(connection, "SELECT 'still usable'")).isEqualTo("still usable");
        }
    }

    /**
     * A simple Query of the shape of the last one the check found harmless skips the check
     * (SessionStateScanner.sameShape): one that differs from it in a digit that matters, here the
     * tag that closes a dollar quote, must be checked again.
     */
    @Test
    void aQueryThatDiffersFromAHarmlessOneWhereADigitMattersIsCheckedAgain() throws IOException, SQLException {
        try (ProxyFixture strict = ProxyFixture.start(new PoolSettings("transaction", 2, 0, null, null, null, null, null,
                null, null, null, false), "s");
             ScramClient client = ScramClient.login(strict.port(), strict.user("s"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            assertThat(sqlStateOf(client, "SELECT 1")).isNull();
            assertThat(sqlStateOf(client, "SELECT 22")).isNull();
            // Harmless to the proxy, as the lock is inside a dollar quote that never ends; a syntax error to PostgreSQL.
            assertThat(sqlStateOf(client, "SELECT $a1$ $a2$; SELECT pg_advisory_lock(1)")).isEqualTo("42601");
            assertThat(sqlStateOf(client, "SELECT $a1$ $a1$; SELECT pg_advisory_lock(1)")).isEqualTo("0A000");
            assertThat(sqlStateOf(client, "SELECT $a1$ $a2$; SELECT pg_advisory_lock(1)")).isEqualTo("42601");
        }
    }

    /** The SQLSTATE of the error a simple Query got, or null when it succeeded. */
    private static String sqlStateOf(ScramClient client, String sql) throws IOException {
        client.raw().send(new Query(sql));
        String sqlState = null;
        for (BackendMessage reply = client.raw().receive(); !(reply instanceof ReadyForQuery); reply = client.raw().receive()) {
            if (reply instanceof ErrorResponse error) {
                sqlState = error.sqlState();
            }
        }
        return sqlState;
    }

    private static String text(DataRow row, int column) {
        return new String(row.values().get(column).toByteArray(), StandardCharsets.UTF_8);
    }

    static BackendMessage next(ScramClient client) throws IOException {
        return client.raw().receive();
    }

    @Test
    void anotherClientsUnnamedStatementIsNeverRun() throws IOException, SQLException {
        try (ProxyFixture single = ProxyFixture.start(ProxyFixture.transactionPool(1), "u");
             ScramClient a = ScramClient.login(single.port(), single.user("u"), ProxyFixture.PASSWORD);
             ScramClient b = ScramClient.login(single.port(), single.user("u"), ProxyFixture.PASSWORD)) {
            a.awaitReady();
            b.awaitReady();
            a.raw().send(new Parse("", "SELECT 'secret of a'", List.of())).send(new Sync());
            assertThat(a.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(a.raw().receive()).isInstanceOf(ReadyForQuery.class);
            b.raw().send(new Bind("", "", List.of(), List.of(), List.of())).send(new Execute("", 0)).send(new Sync());
            BackendMessage reply = b.raw().receive();
            assertThat(reply).isInstanceOfSatisfying(ErrorResponse.class, e -> assertThat(e.sqlState()).isEqualTo("26000"));
            assertThat(b.raw().receive()).isInstanceOf(ReadyForQuery.class);
            a.raw().send(new Bind("", "", List.of(), List.of(), List.of())).send(new Execute("", 0)).send(new Sync());
            assertThat(a.raw().receive()).isInstanceOf(BindComplete.class);
            assertThat(text((DataRow) a.raw().receive(), 0)).isEqualTo("secret of a");
        }
    }

    /**
     * The proxy's names for the statements it prepares derive from their text, so a client that
     * knows another's SQL knows the name on the shared backend: a Bind or Describe of it must fail
     * as a statement that does not exist, never run the other client's statement.
     */
    @Test
    void aClientCannotReachAStatementTheProxyPreparedForAnother() throws Exception {
        try (ProxyFixture single = ProxyFixture.start(ProxyFixture.transactionPool(1), "p");
             ScramClient a = ScramClient.login(single.port(), single.user("p"), ProxyFixture.PASSWORD);
             ScramClient b = ScramClient.login(single.port(), single.user("p"), ProxyFixture.PASSWORD)) {
            a.awaitReady();
            b.awaitReady();
            String sql = "SELECT 'secret of a'";
            a.raw().send(new Parse("secret", sql, List.of())).send(new Sync());
            assertThat(a.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(a.raw().receive()).isInstanceOf(ReadyForQuery.class);
            // The proxy prepares it on a backend when it is first used.
            a.raw().send(new Bind("", "secret", List.of(), List.of(), List.of())).send(new Execute("", 0)).send(new Sync());
            assertThat(a.raw().receive()).isInstanceOf(BindComplete.class);
            assertThat(text((DataRow) a.raw().receive(), 0)).isEqualTo("secret of a");
            assertThat(a.raw().receive()).isInstanceOf(CommandComplete.class);
            assertThat(a.raw().receive()).isInstanceOf(ReadyForQuery.class);
            byte[] definition = (sql + "\0\0\0").getBytes(StandardCharsets.UTF_8);
            String backendName = "pgtenant_" + java.util.HexFormat.of()
                    .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(definition), 0, 16);
            // The proxy echoes whatever name it refuses: first make sure this one is on the shared backend.
            b.raw().send(new Query("SELECT name FROM pg_prepared_statements"));
            List<String> onBackend = new ArrayList<>();
            for (BackendMessage reply = b.raw().receive(); !(reply instanceof ReadyForQuery); reply = b.raw().receive()) {
                if (reply instanceof DataRow row) {
                    onBackend.add(text(row, 0));
                }
            }
            assertThat(onBackend).contains(backendName);

            b.raw().send(new Bind("", backendName, List.of(), List.of(), List.of())).send(new Execute("", 0)).send(new Sync());
            assertThat(b.raw().receive()).isInstanceOfSatisfying(ErrorResponse.class, e -> {
                assertThat(e.sqlState()).isEqualTo("26000");
                assertThat(e.message()).contains("pgtenant-unknown:" + backendName);
            });
            assertThat(b.raw().receive()).isInstanceOf(ReadyForQuery.class);
            b.raw().send(new Describe(PortalOrStatement.STATEMENT, backendName)).send(new Sync());
            assertThat(b.raw().receive()).isInstanceOfSatisfying(ErrorResponse.class, e -> assertThat(e.sqlState()).isEqualTo("26000"));
            assertThat(b.raw().receive()).isInstanceOf(ReadyForQuery.class);

            a.raw().send(new Bind("", "secret", List.of(), List.of(), List.of())).send(new Execute("", 0)).send(new Sync());
            assertThat(a.raw().receive()).isInstanceOf(BindComplete.class);
            assertThat(text((DataRow) a.raw().receive(), 0)).as("the statement is there, for its own client")
                    .isEqualTo("secret of a");
        }
    }

    /**
     * The relay sends a repeated unnamed Parse on without decoding it; the client's own statement
     * must still be the one it remembers, here after a statement that left the remembered verdict
     * behind (UNLISTEN, which changes what the proxy keeps for the session, is never remembered as
     * harmless, and does not pin the session).
     */
    @Test
    void anUnnamedStatementParsedAgainIsTheOneRestoredOnTheNextBackend() throws IOException, SQLException {
        try (ProxyFixture single = ProxyFixture.start(ProxyFixture.transactionPool(1), "r");
             ScramClient a = ScramClient.login(single.port(), single.user("r"), ProxyFixture.PASSWORD);
             ScramClient b = ScramClient.login(single.port(), single.user("r"), ProxyFixture.PASSWORD)) {
            a.awaitReady();
            b.awaitReady();
            for (String sql : List.of("SELECT 'mine'", "UNLISTEN nobody", "SELECT 'mine'")) {
                a.raw().send(new Parse("", sql, List.of())).send(new Sync());
                assertThat(a.raw().receive()).isInstanceOf(ParseComplete.class);
                assertThat(a.raw().receive()).isInstanceOf(ReadyForQuery.class);
            }
            b.raw().send(new Parse("", "SELECT 'other'", List.of())).send(new Sync());
            assertThat(b.raw().receive()).isInstanceOf(ParseComplete.class);
            assertThat(b.raw().receive()).isInstanceOf(ReadyForQuery.class);
            a.raw().send(new Bind("", "", List.of(), List.of(), List.of())).send(new Execute("", 0)).send(new Sync());
            assertThat(a.raw().receive()).isInstanceOf(BindComplete.class);
            assertThat(text((DataRow) a.raw().receive(), 0)).isEqualTo("mine");
        }
    }

    @Test
    void queryInsideAFailedPipelineIsSkippedLikeThePostgresqlBackendDoes() throws IOException {
        try (ScramClient client = ScramClient.login(proxy.port(), proxy.user("a"), ProxyFixture.PASSWORD)) {
            client.awaitReady();
            client.raw().send(new Bind("", "no_such_statement", List.of(), List.of(), List.of()))
                    .send(new Query("SELECT 1")).send(new Sync());
            assertThat(((ErrorResponse) client.raw().receive()).sqlState()).isEqualTo("26000");
            assertThat(client.raw().receive()).isInstanceOf(ReadyForQuery.class);
            client.raw().send(new Query("SELECT 'after'"));
            assertThat(client.raw().receive()).isInstanceOf(RowDescription.class);
            assertThat(text((DataRow) client.raw().receive(), 0)).isEqualTo("after");
        }
    }

    @Test
    void clientsTakingTurnsOnOneBackendEachFindTheirOwnSettings() throws SQLException {
        try (ProxyFixture single = ProxyFixture.start(ProxyFixture.transactionPool(1), "t")) {
            java.util.function.Function<String, Connection> client = schema -> {
                java.util.Properties properties = new java.util.Properties();
                properties.setProperty("user", single.user("t"));
                properties.setProperty("password", ProxyFixture.PASSWORD);
                properties.setProperty("options", "-c search_path=" + schema);
                try {
                    return java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + single.port() + "/app", properties);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
            try (Connection a = client.apply("schema_a"); Connection b = client.apply("schema_b")) {
                execute(a, "SET application_name = 'app_a'");
                execute(b, "SET application_name = 'app_b'");
                String seen = "SELECT current_setting('search_path') || ' ' || current_setting('application_name')";
                // A client coming back to the backend it last used, with nothing changed, is where the
                // relay skips comparing settings: every turn here must still see the client's own.
                for (Connection turn : List.of(a, b, a, a, b, b, a)) {
                    String expected = turn == a ? "schema_a app_a" : "schema_b app_b";
                    assertThat(single(turn, seen)).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void aLoginWithTheSettingsItsBackendAlreadyHasRunsNothingThereAndOthersGetTheirOwn() throws SQLException {
        try (ProxyFixture single = ProxyFixture.start(ProxyFixture.transactionPool(1), "l")) {
            String seen = "SELECT current_setting('search_path') || ' | ' || current_setting('application_name')";
            try (Connection first = loginWith(single, "schema_l", "app-l")) {
                assertThat(single(first, seen)).isEqualTo("schema_l | app-l");
                single(first, "SELECT 'the first client''s last query'");
            }
            try (Connection second = loginWith(single, "schema_l", "app-l")) {
                assertThat(lastQueryOfTheBackend(single)).isEqualTo("SELECT 'the first client''s last query'");
                assertThat(single(second, seen)).isEqualTo("schema_l | app-l");
            }
            try (Connection other = loginWith(single, "schema_m", "app-m")) {
                assertThat(lastQueryOfTheBackend(single)).startsWith("RESET ALL;");
                assertThat(single(other, seen)).isEqualTo("schema_m | app-m");
                assertThat(other.unwrap(org.postgresql.core.BaseConnection.class).getParameterStatus("application_name"))
                        .isEqualTo("app-m");
            }
            try (Connection plain = loginWith(single, null, null)) {
                assertThat(single(plain, seen)).isEqualTo("\"$user\", public | PostgreSQL JDBC Driver");
            }
        }
    }

    @Test
    void stateATransactionClientLeftUnseenNeverReachesASessionClientWithTheSameSettings() throws SQLException {
        try (ProxyFixture mixed = ProxyFixture.start(ProxyFixture.transactionPool(1), "u")) {
            String sessionUser = "session_" + mixed.orgId("u");
            mixed.update(r -> r.withUser(new dev.pgtenant.config.registry.User(sessionUser,
                    dev.pgtenant.protocol.auth.ScramVerifier.fromPassword(ProxyFixture.PASSWORD), mixed.orgId("u"),
                    java.util.Set.of(), java.util.Set.of(), false, dev.pgtenant.config.PoolMode.SESSION)));
            try (Connection transactional = startupOnlyLogin(mixed, mixed.user("u"))) {
                // A setting made inside a function, which the proxy cannot see and so does not pin.
                execute(transactional, "CREATE FUNCTION leave_work_mem() RETURNS void LANGUAGE plpgsql AS "
                        + "$$ BEGIN PERFORM pg_catalog.set_config('work_mem', '77kB', false); END $$");
                execute(transactional, "SELECT leave_work_mem()");
                assertThat(single(transactional, "SHOW work_mem")).isEqualTo("77kB");
                // State RESET ALL would leave: a temporary table, made where the proxy's scan cannot see it.
                execute(transactional, "DO $$BEGIN CREATE TEMP TABLE left_unseen (v int); END$$");
            }
            try (Connection session = startupOnlyLogin(mixed, sessionUser)) {
                assertThat(single(session, "SHOW work_mem")).isNotEqualTo("77kB");
                assertThat(single(session, "SELECT count(*) FROM pg_class WHERE relname = 'left_unseen'"
                        + " AND relnamespace = pg_my_temp_schema()")).isEqualTo("0");
            }
        }
    }

    /** Session pooling with one connection and an empty reset query. */
    private static final PoolSettings NO_RESET = new PoolSettings("session", 1, 0, Duration.ofMinutes(10), Duration.ofHours(1),
            Duration.ofSeconds(30), 100, Duration.ofSeconds(5), "", null, null, null);

    /** A pgjdbc login of organization {@code key}'s user through {@code fixture}, with these startup options. */
    private static Connection loginWithOptions(ProxyFixture fixture, String key, String options) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("user", fixture.user(key));
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("assumeMinServerVersion", "9.0");
        properties.setProperty("options", options);
        return java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + fixture.port() + "/app", properties);
    }

    @Test
    void withoutAResetQueryALoginStillAppliesItsSettingsOverWhatTheLastSessionSet() throws SQLException {
        try (ProxyFixture session = ProxyFixture.start(NO_RESET, "n")) {
            try (Connection first = loginWithOptions(session, "n", "-c search_path=from_startup")) {
                execute(first, "SET search_path = changed_by_the_session");
            }
            try (Connection second = loginWithOptions(session, "n", "-c search_path=from_startup")) {
                assertThat(single(second, "SHOW search_path")).isEqualTo("from_startup");
            }
        }
    }

    @Test
    void withoutAResetQueryASettingTheLastSessionHadAtLoginIsReset() throws SQLException {
        try (ProxyFixture session = ProxyFixture.start(NO_RESET, "m")) {
            try (Connection first = loginWithOptions(session, "m", "-c statement_timeout=4321")) {
                assertThat(single(first, "SHOW statement_timeout")).isEqualTo("4321ms");
            }
            try (Connection second = session.connect("m")) {
                assertThat(single(second, "SHOW statement_timeout")).isEqualTo("0");
            }
        }
    }

    /**
     * Without a reset query, a session-mode client can replace a statement the proxy prepared on its
     * connection for transaction-mode clients, under the same name: the connection is closed after
     * such a session rather than handed to them again.
     */
    @Test
    void withoutAResetQueryASessionCannotReplaceStatementsPreparedForTransactionPooling() throws SQLException {
        try (ProxyFixture mixed = ProxyFixture.start(NO_RESET, "x")) {
            try (Connection client = transactionModeUser(mixed, "x");
                 java.sql.PreparedStatement plusOne = client.prepareStatement("SELECT ?::int + 1")) {
                plusOne.setInt(1, 1);
                for (int i = 0; i < 3; i++) {
                    assertThat(firstInt(plusOne)).isEqualTo(2);
                }
                try (Connection session = mixed.connect("x")) {
                    String name = single(session, "SELECT name FROM pg_prepared_statements WHERE name LIKE 'pgtenant%'");
                    execute(session, "DEALLOCATE " + name);
                    execute(session, "PREPARE " + name + "(int) AS SELECT 1000 + $1");
                }
                assertThat(firstInt(plusOne)).isEqualTo(2);
            }
        }
    }

    /**
     * Without a reset query, a session can also take a statement name the proxy has not used on its
     * connection yet: the transaction-mode client that then prepares that statement there gets the
     * error once, and the connection serves no one after it.
     */
    @Test
    void aStatementNameTakenByASessionCostsOneErrorNotEveryExecution() throws SQLException {
        try (ProxyFixture mixed = ProxyFixture.start(NO_RESET, "y")) {
            try (Connection client = transactionModeUser(mixed, "y");
                 java.sql.PreparedStatement plusOne = client.prepareStatement("SELECT ?::int + 1")) {
                plusOne.setInt(1, 1);
                assertThat(firstInt(plusOne)).isEqualTo(2);
                String name;
                // This session ends on a connection with the proxy's statement: it is closed (see above).
                try (Connection session = mixed.connect("y")) {
                    name = single(session, "SELECT name FROM pg_prepared_statements WHERE name LIKE 'pgtenant%'");
                }
                // The next session gets a new connection, with nothing of the proxy's on it, and takes the name.
                try (Connection session = mixed.connect("y")) {
                    execute(session, "PREPARE " + name + "(int) AS SELECT 1000 + $1");
                }
                assertThatThrownBy(() -> firstInt(plusOne)).isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo("42P05"));
                assertThat(firstInt(plusOne)).isEqualTo(2);
                assertThat(firstInt(plusOne)).isEqualTo(2);
            }
        }
    }

    /**
     * A pgjdbc connection of a user of organization {@code key} that {@code fixture}'s session pool
     * serves in transaction mode, preparing statements from their first use.
     */
    private static Connection transactionModeUser(ProxyFixture fixture, String key) throws SQLException {
        String pooled = "pooled_" + fixture.orgId(key);
        fixture.update(r -> r.withUser(new User(pooled, ScramVerifier.fromPassword(ProxyFixture.PASSWORD), fixture.orgId(key),
                Set.of(), Set.of(), false, PoolMode.TRANSACTION)));
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("user", pooled);
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("prepareThreshold", "1");
        return java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + fixture.port() + "/app", properties);
    }

    private static int firstInt(java.sql.PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            rows.next();
            return rows.getInt(1);
        }
    }

    /**
     * RESET ALL leaves the role (PostgreSQL's GUC_NO_RESET_ALL): a role one client set in its startup
     * options must not reach the next client of the connection.
     */
    @Test
    void aRoleSetAtLoginDoesNotReachTheNextClient() throws SQLException {
        try (ProxyFixture one = ProxyFixture.start(ProxyFixture.transactionPool(1), "r")) {
            TestPostgres postgres = TestPostgres.get();
            String role = one.orgId("r") + "_other";
            postgres.execute("CREATE ROLE " + role + " NOLOGIN");
            try {
                postgres.execute("GRANT " + role + " TO " + one.database("r"));
                try (Connection first = loginWithOptions(one, "r", "-c role=" + role)) {
                    assertThat(single(first, "SELECT current_user")).isEqualTo(role);
                }
                try (Connection second = one.connect("r")) {
                    assertThat(single(second, "SELECT current_user")).isEqualTo(one.database("r"));
                }
            } finally {
                postgres.execute("DROP ROLE " + role);
            }
        }
    }

    /**
     * The server reads the proxy's settings query in the client_encoding the connection's last client
     * left: a client using SJIS must not garble the next client's settings.
     */
    @Test
    void settingsReachTheServerIntactWhateverEncodingTheLastClientLeft() throws Exception {
        try (ProxyFixture one = ProxyFixture.start(ProxyFixture.transactionPool(1), "e")) {
            try (ScramClient sjis = ScramClient.login(new RawClient(one.port()), ProxyFixture.PASSWORD,
                    java.util.Map.of("user", one.user("e"), "database", "app", "client_encoding", "SJIS"))) {
                sjis.awaitReady();
                sjis.raw().send(new dev.pgtenant.protocol.message.frontend.Query("SELECT 1"));
                sjis.awaitReady();
            }
            try (Connection next = loginWithOptions(one, "e", "-c pgtenant_test.note=café")) {
                assertThat(single(next, "SHOW pgtenant_test.note")).isEqualTo("café");
            }
        }
    }

    /** A pgjdbc login that sends all its settings in the startup packet, none in a SET after it. */
    private static Connection startupOnlyLogin(ProxyFixture proxy, String user) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", ProxyFixture.PASSWORD);
        properties.setProperty("assumeMinServerVersion", "9.0");
        return java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", properties);
    }

    /** A pgjdbc login with this search_path and application_name, each left to the default when null. */
    private static Connection loginWith(ProxyFixture proxy, String searchPath, String applicationName) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("user", proxy.user("l"));
        properties.setProperty("password", ProxyFixture.PASSWORD);
        // So that pgjdbc puts application_name in the startup packet, not in a SET after the login.
        properties.setProperty("assumeMinServerVersion", "9.0");
        if (searchPath != null) {
            properties.setProperty("options", "-c search_path=" + searchPath);
        }
        if (applicationName != null) {
            properties.setProperty("ApplicationName", applicationName);
        }
        return java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/app", properties);
    }

    /** The latest statement of the organization's one backend connection, as PostgreSQL shows it. */
    private static String lastQueryOfTheBackend(ProxyFixture proxy) throws SQLException {
        try (Connection superuser = dev.pgtenant.testkit.TestPostgres.get().connect();
             Statement statement = superuser.createStatement()) {
            return SessionResetTest.single(statement, "SELECT query FROM pg_stat_activity WHERE datname = '"
                    + proxy.database("l") + "' AND backend_type = 'client backend'");
        }
    }

    @Test
    void aDiscardAllSentAsParseMakesTheProxyForgetThePreparedStatements() throws SQLException {
        try (Connection client = proxy.connect("a")) {
            client.unwrap(PGConnection.class).setPrepareThreshold(1);
            try (java.sql.PreparedStatement select = client.prepareStatement("SELECT 40 + ?")) {
                for (int i = 1; i <= 2; i++) {
                    select.setInt(1, i);
                    try (java.sql.ResultSet row = select.executeQuery()) {
                        row.next();
                        assertThat(row.getInt(1)).isEqualTo(40 + i);
                    }
                }
                // pgjdbc sends this as Parse, Bind, Execute; it drops every prepared statement of the backend.
                execute(client, "DISCARD ALL");
                select.setInt(1, 2);
                try (java.sql.ResultSet row = select.executeQuery()) {
                    row.next();
                    assertThat(row.getInt(1)).as("prepared again, not assumed still there").isEqualTo(42);
                }
            }
        }
    }

    @Test
    void settingsOfTransactionClientsNeverReachSessionClients() throws SQLException {
        try (ProxyFixture mixed = ProxyFixture.start(ProxyFixture.transactionPool(1), "m")) {
            mixed.update(r -> r.withUser(new dev.pgtenant.config.registry.User("session_" + mixed.orgId("m"),
                    dev.pgtenant.protocol.auth.ScramVerifier.fromPassword(ProxyFixture.PASSWORD), mixed.orgId("m"),
                    java.util.Set.of(), java.util.Set.of(), false, dev.pgtenant.config.PoolMode.SESSION)));
            java.util.Properties properties = new java.util.Properties();
            properties.setProperty("user", mixed.user("m"));
            properties.setProperty("password", ProxyFixture.PASSWORD);
            properties.setProperty("options", "-c search_path=tenant_only");
            try (Connection transactional = java.sql.DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + mixed.port() + "/app", properties)) {
                execute(transactional, "SET TimeZone = 'Asia/Tokyo'");
                assertThat(single(transactional, "SHOW search_path")).isEqualTo("tenant_only");
            }
            try (Connection session = mixed.connect("session_" + mixed.orgId("m"), ProxyFixture.PASSWORD, "app")) {
                assertThat(single(session, "SHOW search_path")).isEqualTo("\"$user\", public");
                assertThat(single(session, "SHOW TimeZone")).isNotEqualTo("Asia/Tokyo");
            }
        }
    }
}
