package dev.pgtenant.proxy.admin;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.DataRow;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.RowDescription;
import dev.pgtenant.protocol.message.frontend.Query;
import dev.pgtenant.protocol.message.frontend.FrontendMessages;
import dev.pgtenant.proxy.pool.BackendPool;
import dev.pgtenant.proxy.session.ClientSession;
import dev.pgtenant.proxy.session.Relay;
import dev.pgtenant.proxy.transaction.StatementCounters;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The admin console: admin users connect to database {@code pgtenant} with psql and ask
 * {@code SHOW POOLS}, {@code SHOW STATS} or {@code SHOW HELP}. Answered by the proxy itself over the
 * simple query protocol; no backend is involved.
 */
public final class AdminConsole implements Relay {

    /** The database name that reaches the console. */
    public static final String DATABASE = "pgtenant";

    /** Where a console session goes, as {@link ClientSession#destination()} names it. */
    public static final String DESTINATION = "the admin console";

    /** Parameters a client expects at startup; psql needs server_version. */
    public static final Map<String, String> PARAMETERS = Map.of("server_version", "17.0 (pgtenant admin console)",
            "server_encoding", "UTF8", "client_encoding", "UTF8", "DateStyle", "ISO, MDY", "integer_datetimes", "on",
            "standard_conforming_strings", "on");

    private static final int TEXT = 25;
    private static final int INT8 = 20;
    /** The longest command worth reading: the commands are a few words. */
    private static final int MAX_COMMAND_BYTES = 1024;
    /**
     * Answers an admin client may leave unread before its session ends: each command's answer is made
     * whole, so a client that pipelines commands and reads nothing would otherwise grow them without end.
     */
    private static final long MAX_UNREAD_BYTES = 16L * 1024 * 1024;

    private final ClientSession session;

    public AdminConsole(ClientSession session) {
        this.session = session;
    }

    @Override
    public void clientFrame(Frame frame) {
        // Each command's answer goes out as one buffer: what waits unread is then counted as what it is.
        ByteBuf answer = session.channel().alloc().buffer();
        try {
            answer(frame, answer);
        } finally {
            frame.release();
            if (answer.isReadable()) {
                session.channel().writeAndFlush(answer);
            } else {
                answer.release();
            }
        }
    }

    private void answer(Frame frame, ByteBuf answer) {
        if (frame.type() == 'X') {
            session.close("the admin client ended the session");
            return;
        }
        if (session.channel().bytesBeforeWritable() > MAX_UNREAD_BYTES) {
            session.fatal(SqlState.INSUFFICIENT_RESOURCES, "the admin client left more than "
                    + MAX_UNREAD_BYTES / (1024 * 1024) + " MB of answers unread; read each answer before the next command");
            return;
        }
        if (frame.type() != 'Q') {
            if (frame.type() == 'S') {
                write(answer, new ReadyForQuery(ReadyForQuery.TransactionStatus.IDLE));
            } else if (frame.type() == 'P') {
                write(answer, ErrorResponse.error(SqlState.FEATURE_NOT_SUPPORTED,
                        "the admin console speaks only the simple query protocol (use psql)"));
            }
            return;
        }
        // The body is the command and its terminating NUL.
        if (frame.body().readableBytes() > MAX_COMMAND_BYTES + 1) {
            write(answer, ErrorResponse.of(ErrorResponse.Severity.ERROR, SqlState.SYNTAX_ERROR.code(),
                    "admin commands are at most " + MAX_COMMAND_BYTES + " bytes long", "SHOW HELP lists the commands"));
            write(answer, new ReadyForQuery(ReadyForQuery.TransactionStatus.IDLE));
            return;
        }
        String sql = ((Query) FrontendMessages.decode(frame)).sql().trim().replaceAll(";\\s*$", "")
                .replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
        if (sql.startsWith("set ")) {
            // Drivers set application_name and the like on connect; nothing here depends on them.
            write(answer, new CommandComplete("SET"));
            write(answer, new ReadyForQuery(ReadyForQuery.TransactionStatus.IDLE));
            return;
        }
        switch (sql) {
            case "show pools" -> pools(answer);
            case "show stats" -> stats(answer);
            case "show help", "help" -> help(answer);
            default -> write(answer, ErrorResponse.of(ErrorResponse.Severity.ERROR, SqlState.SYNTAX_ERROR.code(),
                    "unknown admin command \"" + sql + "\"", "SHOW HELP lists the commands"));
        }
        write(answer, new ReadyForQuery(ReadyForQuery.TransactionStatus.IDLE));
    }

    private void pools(ByteBuf answer) {
        List<List<Object>> rows = new ArrayList<>();
        for (BackendPool pool : session.context().pools().all()) {
            BackendPool.PoolStats stats = pool.stats();
            rows.add(java.util.Arrays.asList(pool.target().database(), pool.target().user(),
                    pool.target().server().host() + ":" + pool.target().server().port(),
                    stats.active(), stats.idle(), stats.opening(), stats.waiting(), pool.target().organization()));
        }
        table(answer, "SHOW", List.of("database", "user", "server", "active", "idle", "opening", "waiting", "organization"),
                List.of(TEXT, TEXT, TEXT, INT8, INT8, INT8, INT8, TEXT), rows);
    }

    private void stats(ByteBuf answer) {
        StatementCounters counters = session.context().statementCounters();
        Map<String, Long> values = new LinkedHashMap<>();
        values.put("statements_prepared_on_backends", counters.preparedOnBackends());
        values.put("statement_cache_hits", counters.cacheHits());
        values.put("statement_evictions", counters.evictions());
        values.put("statements_prepared_without_backend", counters.deferredPrepares());
        values.put("sessions_pinned", counters.pins());
        values.put("settings_reapplied", counters.settingsApplied());
        values.put("batches_rerun_after_ddl", counters.replays());
        List<List<Object>> rows = new ArrayList<>();
        values.forEach((name, value) -> rows.add(List.of(name, value)));
        table(answer, "SHOW", List.of("counter", "value"), List.of(TEXT, INT8), rows);
    }

    private void help(ByteBuf answer) {
        List<List<Object>> rows = List.of(
                List.of("SHOW POOLS", "backend pools: connections in use, idle, opening, clients waiting"),
                List.of("SHOW STATS", "transaction-pooling counters: statements prepared, cache hits, evictions, pins"),
                List.of("SHOW HELP", "this list"));
        table(answer, "SHOW", List.of("command", "what it shows"), List.of(TEXT, TEXT), rows);
    }

    private void table(ByteBuf answer, String tag, List<String> columns, List<Integer> types, List<List<Object>> rows) {
        List<RowDescription.Column> description = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            description.add(RowDescription.Column.text(columns.get(i), types.get(i)));
        }
        write(answer, new RowDescription(description));
        for (List<Object> row : rows) {
            List<ByteString> values = new ArrayList<>();
            row.forEach(value -> values.add(value == null ? null : ByteString.copyOf(String.valueOf(value).getBytes(StandardCharsets.UTF_8))));
            write(answer, new DataRow(values));
        }
        write(answer, new CommandComplete(tag));
    }

    private static void write(ByteBuf answer, BackendMessage message) {
        message.encode(answer);
    }

    @Override
    public void clientReadComplete() {
        session.channel().flush();
    }

    @Override
    public void clientWritabilityChanged() {
    }

    @Override
    public void clientClosed() {
    }

    @Override
    public void cancel() {
    }
}
