package dev.pgtenant.proxy.transaction;

import static dev.pgtenant.proxy.transaction.MessageText.readString;
import static dev.pgtenant.proxy.transaction.MessageText.sameBytes;
import static dev.pgtenant.proxy.transaction.MessageText.stringAt;
import static dev.pgtenant.proxy.transaction.MessageText.writeName;

import dev.pgtenant.protocol.ProtocolException;
import dev.pgtenant.protocol.SqlState;
import dev.pgtenant.protocol.codec.Frame;
import dev.pgtenant.protocol.codec.MessageParts;
import dev.pgtenant.protocol.message.backend.BackendMessage;
import dev.pgtenant.protocol.message.backend.BackendMessages;
import dev.pgtenant.protocol.message.backend.CloseComplete;
import dev.pgtenant.protocol.message.backend.CommandComplete;
import dev.pgtenant.protocol.message.backend.ErrorResponse;
import dev.pgtenant.protocol.message.backend.ParameterStatus;
import dev.pgtenant.protocol.message.backend.ParseComplete;
import dev.pgtenant.protocol.message.backend.ReadyForQuery;
import dev.pgtenant.protocol.message.backend.ReadyForQuery.TransactionStatus;
import dev.pgtenant.proxy.backend.BackendCanceller;
import dev.pgtenant.proxy.backend.BackendConnection;
import dev.pgtenant.proxy.backend.BackendQuery;
import dev.pgtenant.proxy.backend.BackendUser;
import dev.pgtenant.proxy.pool.BackendPool;
import dev.pgtenant.proxy.pool.PoolWaiter;
import dev.pgtenant.proxy.session.ClientSession;
import dev.pgtenant.proxy.session.Relay;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transaction pooling: the client holds a backend only while a transaction, or an extended-query
 * batch up to Sync, is in progress, and gives it back when ReadyForQuery says idle. To make that
 * invisible to the client it
 * <ul>
 * <li>re-applies the client's settings (startup parameters, and reported parameters it changed
 *     with SET) on whichever backend it lands on;</li>
 * <li>keeps the client's named prepared statements, gives them content-derived backend names,
 *     prepares them on a backend that lacks them, and rewrites Bind, Describe and Close;</li>
 * <li>pins the client to its backend when it creates session state (SQL PREPARE, advisory locks,
 *     temporary tables, WITH HOLD cursors, LISTEN, SET of an untracked setting).</li>
 * </ul>
 * All its state lives on the client's event loop; backend messages are handed over to that loop.
 */
public final class TransactionRelay implements Relay, ChannelListeners.Subscriber {

    private static final Logger log = LoggerFactory.getLogger(TransactionRelay.class);
    /** The largest batch kept for running it again. */
    private static final int MAX_REPLAY_BYTES = 64 * 1024;
    /** PostgreSQL's SQLSTATE for a prepared statement name already in use. */
    private static final String DUPLICATE_PREPARED_STATEMENT = "42P05";
    private static final String STALE_PLAN = "cached plan must not change result type";
    /** Messages held with no backend on its way (named Parses before their Sync) may add up to this many bytes. */
    private static final int MAX_WAITING_BYTES = 1024 * 1024;
    /**
     * While a backend is awaited, the client's input stays in its socket once this much is held. Not
     * from the first byte: pausing and resuming reads costs two epoll_ctl calls, on every transaction
     * that waits, and a client that waits for its answer sends nothing meanwhile.
     */
    private static final int PAUSE_WAITING_AT = 64 * 1024;

    /** Notification bytes waiting to be written past which a client that keeps receiving them is disconnected. */
    private static final long MAX_UNREAD_BYTES = 16L * 1024 * 1024;
    /** What ParseComplete, BindComplete and CloseComplete may each answer. */
    private static final Set<Expectation.Kind> PARSE_COMPLETE_ANSWERS = EnumSet.of(
            Expectation.Kind.CLIENT_PARSE, Expectation.Kind.INTERNAL_PARSE, Expectation.Kind.ONE_REPLY);
    private static final Set<Expectation.Kind> BIND_COMPLETE_ANSWERS = EnumSet.of(Expectation.Kind.ONE_REPLY);
    private static final Set<Expectation.Kind> CLOSE_COMPLETE_ANSWERS =
            EnumSet.of(Expectation.Kind.INTERNAL_CLOSE, Expectation.Kind.ONE_REPLY);
    private static final int SCRATCH_BYTES = 4096;
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[SCRATCH_BYTES];
        }
    };
    private static final AtomicIntegerFieldUpdater<TransactionRelay> CANCELS_IN_FLIGHT =
            AtomicIntegerFieldUpdater.newUpdater(TransactionRelay.class, "cancelsInFlight");

    private final ClientSession session;
    private final BackendPool pool;
    private final StatementCounters counters;
    private final boolean pinSessionState;
    private final int maxClientStatements;
    /** Settings from the startup packet that the server does not report. */
    private final Map<String, String> startupSettings;
    /**
     * The reported parameters the proxy carries between backends (see SessionStateScanner.isReported),
     * as this client has been told them; only those, since they are compared at every new backend.
     * Shared with the sessions that have the same values (see SharedSettings).
     */
    private Map<String, String> reported;
    /** The client's named statements; NONE until the first, as most sessions prepare none. */
    private ClientStatements statements = ClientStatements.NONE;
    /** Between a client read's first frame and its end: a flush then waits for clientReadComplete. */
    private boolean readingClient;
    /** The last statement definition found to need no session state. */
    private byte[] lastHarmlessDefinition;
    /** The same for simple Queries, by shape; made at the first. */
    private HarmlessQuery lastHarmlessQuery;
    /** The statement name of the last Bind of a named statement, and its bytes. */
    private String lastBoundName;
    private byte[] lastBoundNameBytes;
    /** Replies due from the backend, in order; made by the first transaction (see NotYetMade). */
    private ArrayDeque<Expectation> expected = NotYetMade.instance();
    /** Client messages held until a backend is attached; made by the first transaction. */
    private HeldMessages waiting = HeldMessages.NONE;
    /** Cancel requests sent and not yet answered; updated through CANCELS_IN_FLIGHT, from any thread. */
    private volatile int cancelsInFlight;
    private BackendConnection backend;
    private Attachment attachment;
    /** Reused by the holds of connections on this client's own event loop (see attachmentFor). */
    private Attachment localAttachment;
    /** The transaction status of the last ReadyForQuery the client received. */
    private TransactionStatus clientStatus = TransactionStatus.IDLE;
    private boolean unnamedParsedThisHold;
    private byte[] unnamedDefinition;
    private boolean copyIn;
    /** Notifications written to the client and not yet taken by its socket; on the client's loop only. */
    private long unreadNotificationBytes;
    /**
     * Follows a row the backend passes on in parts, in the middle of which nothing else may reach the
     * client; made at the first such row, as most sessions never see one and idle ones are many.
     */
    private MessageParts rowParts;
    /** Messages for the client that came in the middle of such a row: notifications, late notices; null when none. */
    private ArrayDeque<ByteBuf> heldForRowEnd;
    /** Set at the first COPY IN started by Execute: the backend is the session's, and closed at its end. */
    private boolean extendedCopy;
    /** An extended-protocol LISTEN or UNLISTEN held until its Sync, to be answered by the proxy; null when none. */
    private ListenBatch listenBatch;
    /*
     * The collections below are allocated on first use, and those used seldom are replaced by an empty
     * immutable list when done: most sessions never need them, and an idle session should cost little.
     */
    /** The current extended-query batch as the client sent it, kept to run it again after a stale plan. */
    private HeldMessages batch = HeldMessages.NONE;
    private List<String> staleOnBackend = List.of();
    /** A stale-plan error held until the rest of its batch has arrived. */
    private Frame heldError;
    private boolean batchComplete = true;
    private boolean batchReplayable;
    private boolean batchAnswered;
    private boolean batchReplayed;
    private volatile BackendConnection running;
    private Object poolTicket;
    /** How this client waits for a backend: made on the first wait, and waits again at every one after. */
    private PoolWaiter poolWaiter;
    /** The message being read, where it lies in the client's read. */
    private final ClientMessage reading = new ClientMessage();
    /** Where held messages are read when forwarded (see forwardHeld); made when this client first waits. */
    private ClientMessage heldView;
    private boolean acquiring;
    private boolean skippingToSync;
    private boolean unsynced;
    private int awaitingReady;
    private String pinnedBy;
    private boolean closed;
    /**
     * A ReadyForQuery came in the backend read being handled and left nothing to answer: the backend
     * goes back to the pool at the read's end, when the read's buffer is no longer the reader's and
     * goes to the client whole. Until then its messages are treated as those of a released backend.
     */
    private boolean releaseDue;
    /** Held messages are being forwarded: the backend stays until the last is sent, whatever the proxy answers meanwhile. */
    private boolean forwardingHeld;

    /**
     * Starts with the session's first connection, which has the client's settings applied, and gives
     * it back at once. {@code startupSettings} are the client's startup settings the server does not
     * report.
     */
    public TransactionRelay(ClientSession session, BackendPool pool, BackendConnection first,
                            Map<String, String> startupSettings, StatementCounters counters) {
        this.session = session;
        this.pool = pool;
        this.counters = counters;
        this.pinSessionState = session.context().config().pool().pinSessionState();
        this.maxClientStatements = session.context().config().pool().maxClientStatements();
        this.startupSettings = session.context().sharedSettings().share(startupSettings);
        this.reported = first.reportedParameters(session.context().sharedSettings());
        release(first);
    }

    // ---- client side (client event loop) ----

    /** A message held until the session was ready. */
    @Override
    public void clientFrame(Frame frame) {
        try {
            ByteBuf content = frame.content();
            clientMessage(frame.type(), content, content.readerIndex(), content.readableBytes());
        } finally {
            frame.release();
        }
    }

    @Override
    public void clientMessage(byte type, ByteBuf buffer, int index, int length) {
        readingClient = true;
        if (closed) {
            return;
        }
        if (type == 'X') {
            session.close("the client ended the session");
            return;
        }
        ClientMessage message = reading.set(type, buffer, index, length);
        if (backend == null) {
            if (waiting.isEmpty() && !acquiring && pinnedBy == null && listenWithoutBackend(message)) {
                return;
            }
            if (waiting.isEmpty() && !acquiring && answerDeallocateWithoutBackend(message)) {
                return;
            }
            if (!acquiring && isNewNamedParse(message)) {
                hold(message);
                return;
            }
            if (!acquiring && type == 'S' && !waiting.isEmpty()) {
                prepareWithoutBackend(message);
                return;
            }
            // The usual start of a transaction: an idle backend, taken at once, gets the message where it lies.
            if (!waiting.isEmpty() || acquiring || !attachIdle()) {
                if (hold(message) && !acquiring) {
                    acquire();
                }
                return;
            }
        }
        forwardSafely(message);
    }

    /**
     * Keeps a message until there is a backend; false when that ended the session. The limit is for
     * messages held with no backend on its way (named Parses awaiting their Sync): while one is
     * awaited, the pause bounds what is held, and a single message is bounded by maxMessageSize.
     */
    private boolean hold(ClientMessage message) {
        held().add(message);
        pauseIfHoldingMuch();
        if (!acquiring && waiting.size() > 1 && waiting.byteCount() > MAX_WAITING_BYTES) {
            session.fatal(SqlState.PROGRAM_LIMIT_EXCEEDED, "the client sent more than " + MAX_WAITING_BYTES
                    + " bytes of statements to prepare without a Sync");
            return false;
        }
        return true;
    }

    /** A translation failure ends the session with its SQLSTATE rather than leaving it half-forwarded. */
    private void forwardSafely(ClientMessage message) {
        try {
            forward(message);
        } catch (ProtocolException e) {
            session.fatal(e.sqlState(), e.getMessage());
        }
    }

    /**
     * LISTEN and UNLISTEN outside a transaction, as a simple query or as the unnamed-statement batch
     * drivers send (Parse, Bind, Describe, Execute, Sync), go to the shared listening connection of
     * this database instead of holding a backend. Anything else in such a batch sends it the usual way.
     */
    private boolean listenWithoutBackend(ClientMessage message) {
        if (listenBatch == null) {
            ListenCommand command = clientStatus == TransactionStatus.IDLE ? ListenCommand.of(message) : null;
            if (command == null) {
                return false;
            }
            if (message.type() == 'Q') {
                answerListen(command, false, false);
            } else {
                listenBatch = new ListenBatch(command, message);
            }
            return true;
        }
        if (listenBatch.add(message)) {
            return true;
        }
        ListenBatch listen = listenBatch;
        listenBatch = null;
        if (message.type() == 'S' && listen.answerable()) {
            listen.release();
            answerListen(listen.command(), true, listen.describes());
            return true;
        }
        // Not the batch shape the proxy answers: send it to a backend as it is. A backend is on its
        // way at once, so the limit on messages held without one does not apply.
        listen.handOver(held()::add);
        held().add(message);
        acquire();
        return true;
    }

    private void answerListen(ListenCommand command, boolean extended, boolean describe) {
        ChannelListeners listeners = session.context().channelListeners();
        acquiring = true;
        java.util.concurrent.CompletableFuture<Void> done = command.listen()
                ? listeners.listen(pool, session.executor(), command.channel(), this)
                : listeners.unlisten(pool, command.channel(), this);
        done.whenComplete((ignored, failure) -> session.executor().execute(() -> {
            acquiring = false;
            if (closed) {
                return;
            }
            if (extended) {
                writeToClient(new ParseComplete());
                writeToClient(new dev.pgtenant.protocol.message.backend.BindComplete());
                if (describe) {
                    writeToClient(new dev.pgtenant.protocol.message.backend.NoData());
                }
            }
            if (failure != null) {
                writeToClient(dev.pgtenant.protocol.message.backend.ErrorResponse.error(SqlState.CONNECTION_FAILURE,
                        "could not " + command.tag() + ": " + failure.getMessage()));
            } else {
                writeToClient(new CommandComplete(command.tag()));
            }
            writeToClient(new ReadyForQuery(TransactionStatus.IDLE));
            session.output().flush();
            if (!waiting.isEmpty()) {
                acquire();
            }
        }));
    }

    /**
     * Written to the channel directly, on the client's loop: the client's {@link ClientSession#output()}
     * holds a run only while one backend read is handled there, and this runs before or after such a
     * read, not within it. Notifications come whenever another session sends them, with nothing to
     * hold them back, so a client that reads none would keep every one in memory: past
     * {@link #MAX_UNREAD_BYTES} of them still waiting to be written, its session ends. Only
     * notifications count, and the late notices held with them in the middle of a row: results have
     * back-pressure. In the middle of a row they wait for its end (forwardPart).
     */
    @Override
    public void notification(ByteBuf message) {
        if (!session.executor().inEventLoop()) {
            try {
                session.executor().execute(() -> notification(message));
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                message.release();
            }
            return;
        }
        if (closed) {
            message.release();
            return;
        }
        if (unreadNotificationBytes > MAX_UNREAD_BYTES) {
            message.release();
            session.fatal(SqlState.INSUFFICIENT_RESOURCES, "the client left more than " + MAX_UNREAD_BYTES / (1024 * 1024)
                    + " MB of notifications unread; read them as they come");
            return;
        }
        if (midMessage()) {
            holdForRowEnd(message);
            return;
        }
        int size = message.readableBytes();
        unreadNotificationBytes += size;
        session.channel().writeAndFlush(message).addListener(written -> unreadNotificationBytes -= size);
    }

    private boolean isNamedParse(ClientMessage message) {
        String name = message.type() == 'P' ? readString(message.body(), 0, StandardCharsets.ISO_8859_1) : null;
        return name != null && !name.isEmpty();
    }

    /** A Parse of a statement name this client has not used yet. */
    private boolean isNewNamedParse(ClientMessage message) {
        if (message.type() != 'P') {
            return false;
        }
        int nameAt = message.bodyIndex();
        if (nameAt >= message.end() || message.buffer().getByte(nameAt) == 0) {
            // The unnamed statement, which drivers parse for every execution: no string decoded for it.
            return false;
        }
        ByteBuf body = message.body();
        String name = readString(body, 0, StandardCharsets.ISO_8859_1);
        String query = name == null ? null : readString(body, name.length() + 1, StandardCharsets.ISO_8859_1);
        return name != null && query != null && !statements.contains(name)
                && !waiting.anyMatch(w -> name.equals(readString(w.body(), 0, StandardCharsets.ISO_8859_1)))
                && statements.size() + waiting.size() < maxClientStatements;
    }

    /**
     * Parse messages of new named statements followed by Sync, outside a transaction, are answered
     * by the proxy: each backend gets the statement when the client first uses it there. Waiting for
     * a backend here could deadlock a client that prepares synchronously while its other
     * connections hold every backend (pgbench -M prepared does). The price: an invalid statement
     * is reported when it is first used, not when it is prepared.
     */
    private void prepareWithoutBackend(ClientMessage sync) {
        if (waiting.anyMatch(held -> !isNamedParse(held))) {
            if (hold(sync)) {
                acquire();
            }
            return;
        }
        waiting.forEach(parse -> {
            ByteBuf body = parse.body();
            int nameEnd = body.indexOf(body.readerIndex(), body.writerIndex(), (byte) 0);
            String name = body.toString(body.readerIndex(), nameEnd - body.readerIndex(), StandardCharsets.ISO_8859_1);
            byte[] definition = new byte[body.writerIndex() - nameEnd - 1];
            body.getBytes(nameEnd + 1, definition);
            StatementText text = new StatementText(definition);
            Optional<String> refusal = checkSessionState(text.statementsToCheck());
            if (refusal.isPresent()) {
                text = text.replacedBy(refusalStatement(refusal.get()));
            }
            statementsToKeep().remember(name, text);
            counters.deferredPrepares.increment();
            writeToClient(new ParseComplete());
        });
        waiting.clear();
        writeToClient(new ReadyForQuery(TransactionStatus.IDLE));
        session.output().flush();
    }

    /**
     * Replies the proxy gives itself (to DEALLOCATE, Close, a Parse it knows) have no backend to slow
     * the client down: as PostgreSQL stops reading while its replies wait, no more is read from a
     * client whose replies back up, until they drain.
     */
    @Override
    public void clientReadComplete() {
        readingClient = false;
        if (backend != null) {
            backend.output().flush();
        }
        if (!session.channel().isWritable()) {
            session.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void clientWritabilityChanged() {
        BackendConnection current = backend;
        if (current != null) {
            current.readWhileWritable(session.channel());
        }
        if (session.channel().isWritable() && (current == null ? !holdingMuch() : current.channel().isWritable())) {
            resumeClientReads();
        }
    }

    @Override
    public void clientClosed() {
        closed = true;
        batch.clear();
        if (heldForRowEnd != null) {
            heldForRowEnd.forEach(ByteBuf::release);
            heldForRowEnd = null;
        }
        if (listenBatch != null) {
            listenBatch.release();
            listenBatch = null;
        }
        session.context().channelListeners().forget(this);
        if (heldError != null) {
            heldError.release();
            heldError = null;
        }
        waiting.clear();
        if (poolTicket != null) {
            pool.cancel(poolTicket);
        }
        BackendConnection current = backend;
        backend = null;
        running = null;
        if (current == null) {
            return;
        }
        current.output().discard();
        boolean dirty = awaitingReady > 0 || unsynced || !expected.isEmpty() || cancelsInFlight > 0;
        boolean pinned = pinnedBy != null;
        boolean extendedCopyUsed = extendedCopy;
        current.onLoop(() -> {
            current.setUser(null);
            if (dirty || current.status() != TransactionStatus.IDLE) {
                pool.discard(current, "its client left in the middle of a transaction or query");
            } else if (extendedCopyUsed) {
                pool.discard(current, "its client used COPY FROM STDIN in the extended protocol, whose end state the proxy cannot tell");
            } else if (pinned) {
                pool.resetAndRelease(current);
            } else {
                pool.release(current);
            }
        });
    }

    @Override
    public void cancel() {
        CANCELS_IN_FLIGHT.incrementAndGet(this);
        BackendConnection current = running;
        if (current == null || current.key() == null) {
            CANCELS_IN_FLIGHT.decrementAndGet(this);
            return;
        }
        session.context().canceller().cancel(current.target().server(), current.key()).whenComplete((settled, failure) -> {
            // Marked before the count drops, so that no release in between can miss it.
            if (!Boolean.TRUE.equals(settled)) {
                current.markUnfitForNext(BackendCanceller.UNANSWERED);
            }
            CANCELS_IN_FLIGHT.decrementAndGet(this);
            session.executor().execute(this::releaseIfDone);
        });
    }

    /**
     * Takes an idle backend if there is one, and attaches it unless its settings must be brought in
     * line first; true when a backend is attached.
     */
    private boolean attachIdle() {
        BackendConnection ready = pool.tryAcquireIdle(session.executor());
        if (ready != null) {
            applySettings(ready);
        }
        return backend != null;
    }

    private void acquire() {
        if (attachIdle() || acquiring) {
            return;
        }
        acquiring = true;
        pauseIfHoldingMuch();
        if (poolWaiter == null) {
            poolWaiter = new PoolWaiter(session.executor(), this::onPoolAnswer);
        }
        poolTicket = pool.acquire(poolWaiter);
    }

    private void onPoolAnswer(BackendConnection connection, ProtocolException problem) {
        poolTicket = null;
        acquiring = false;
        if (closed) {
            if (connection != null) {
                pool.release(connection);
            }
            return;
        }
        if (problem != null) {
            session.fatal(problem.sqlState(), problem.getMessage());
            return;
        }
        applySettings(connection);
    }

    /**
     * Reads from the client again. Checked first: both ends of every transaction call it, and Netty's
     * setter swaps its flag atomically even when reads are on already.
     */
    private void resumeClientReads() {
        if (!session.channel().config().isAutoRead()) {
            session.channel().config().setAutoRead(true);
        }
    }

    /** Keeps the client's further input in its socket, not in memory, while a backend is awaited; attach resumes. */
    private void pauseIfHoldingMuch() {
        if (holdingMuch()) {
            session.channel().config().setAutoRead(false);
        }
    }

    private boolean holdingMuch() {
        return acquiring && waiting.byteCount() > PAUSE_WAITING_AT;
    }

    /**
     * Brings the backend's settings in line with this client's, then starts using it. A backend last
     * found to have the very same settings maps, and changed since by nothing, is not compared again.
     */
    private void applySettings(BackendConnection connection) {
        if (connection.settledFor(startupSettings, reported)) {
            attach(connection);
            return;
        }
        // Counted before looking, so that a change arriving meanwhile leaves the backend unsettled.
        int changesSeen = connection.parameterChanges();
        String sql = SettingsSql.toMatch(connection.appliedSettings(), connection.parameters(), startupSettings, reported);
        if (sql == null) {
            connection.settle(startupSettings, reported, changesSeen);
            attach(connection);
            return;
        }
        counters.settingsApplied.increment();
        acquiring = true;
        pauseIfHoldingMuch();
        BackendQuery.run(connection, sql, session.context().config().pool().connectTimeout())
                .whenComplete((error, failure) -> session.executor().execute(() -> {
                    acquiring = false;
                    if (failure != null || error.isPresent()) {
                        pool.discard(connection, "could not apply a client's settings: "
                                + (failure != null ? failure.getMessage() : error.get().message()));
                        if (!closed) {
                            session.fatal(SqlState.CONNECTION_FAILURE, "could not prepare a backend connection for this session");
                        }
                        return;
                    }
                    connection.replaceAppliedSettings(startupSettings);
                    // The query's own ParameterStatus replies count as changes: the next user compares once more.
                    connection.settle(startupSettings, reported, changesSeen);
                    if (closed) {
                        pool.release(connection);
                    } else {
                        attach(connection);
                    }
                }));
    }

    private void attach(BackendConnection connection) {
        backend = connection;
        attachment = attachmentFor(connection);
        unnamedParsedThisHold = false;
        connection.onLoop(BackendConnection::setUser, attachment);
        resumeClientReads();
        forwardHeld(waiting.take());
        // Attached in the middle of a client read, the rest of the batch is still to come and
        // clientReadComplete flushes it all at once.
        if (backend != null && !readingClient) {
            backend.output().flush();
        }
    }

    /**
     * The link for a new hold of {@code connection}. A connection on another event loop hands its
     * messages over in tasks that may still be queued when the next hold begins, so each such hold
     * gets a link of its own that those tasks can be told apart by. One on this client's loop hands
     * its messages to the link directly, and release takes the link from it at once ({@link #giveBack}
     * runs inline), so one link serves all its holds and a transaction allocates nothing for it. Its
     * close and writability events still come as tasks, which check the connection they came from.
     * A connection dropped without a release ({@link #lostTrack}) may still name the link: then a new
     * one is made.
     */
    private Attachment attachmentFor(BackendConnection connection) {
        if (connection.channel().eventLoop() != session.executor()) {
            return new Attachment(connection);
        }
        Attachment local = localAttachment;
        if (local == null || local.connection != null && local.connection.user() == local) {
            local = new Attachment(connection);
            localAttachment = local;
        } else {
            local.connection = connection;
        }
        return local;
    }

    /**
     * Forwards messages taken from {@link HeldMessages}, then releases their buffer; null is none.
     * Read through a view of their own: this may run while a message read in place, or another held
     * one, is being handled. Only an ending session loses its backend on the way, and then the rest
     * is not sent.
     */
    private void forwardHeld(ByteBuf messages) {
        if (messages == null) {
            return;
        }
        boolean outer = forwardingHeld;
        forwardingHeld = true;
        try {
            // A nested call's view must not move the outer one's; the outermost reuses the session's.
            ClientMessage view = outer ? new ClientMessage() : heldView();
            // A message that ended the session (one past a limit, say) stops the rest: they are not run.
            for (int at = messages.readerIndex(); at < messages.writerIndex() && backend != null && !session.ending(); at = view.end()) {
                forwardSafely(HeldMessages.at(messages, at, view));
            }
        } finally {
            forwardingHeld = outer;
            messages.release();
        }
        // A message the proxy answered itself may have been the last one the backend was held for.
        releaseIfDone();
    }

    private ClientMessage heldView() {
        if (heldView == null) {
            heldView = new ClientMessage();
        }
        return heldView;
    }

    /** Sends one client message to the held backend, translating what must be translated. */
    private void forward(ClientMessage message) {
        byte type = message.type();
        if (log.isTraceEnabled()) {
            log.trace("{} -> backend {}: {} (expecting {})", session.describe(), backend, (char) type, expected);
        }
        running = backend;
        recordForReplay(message);
        switch (type) {
            case 'Q' -> forwardQuery(message);
            case 'P' -> forwardParse(message);
            case 'B' -> forwardBind(message);
            case 'D' -> forwardDescribe(message);
            case 'C' -> forwardClose(message);
            case 'E' -> {
                unsynced = true;
                if (skippingToSync) {
                    return;
                }
                expect(Expectation.of(Expectation.Kind.EXECUTE));
                send(message);
            }
            case 'S' -> {
                if (copyIn) {
                    // A backend in COPY IN ignores Sync: no ReadyForQuery will answer it.
                    send(message);
                    return;
                }
                unsynced = false;
                skippingToSync = false;
                awaitingReady++;
                if (heldError != null && decideHeldError()) {
                    expect(Expectation.of(Expectation.Kind.REPLAYED_SYNC));
                    send(message);
                    closeStaleStatements();
                    replayBatch();
                    return;
                }
                expect(Expectation.of(Expectation.Kind.SYNC));
                send(message);
                if (!staleOnBackend.isEmpty()) {
                    closeStaleStatements();
                }
            }
            case 'H' -> {
                unsynced = true;
                if (heldError != null) {
                    // The client wants results before its Sync: the error cannot wait, nor the batch run again.
                    toClient(heldError);
                    heldError = null;
                    batchReplayable = false;
                    session.output().flush();
                }
                send(message);
            }
            case 'F' -> {
                if (skippingToSync) {
                    return;
                }
                awaitingReady++;
                expect(Expectation.of(Expectation.Kind.QUERY));
                send(message);
            }
            case 'c', 'f' -> {
                copyIn = false;
                send(message);
            }
            default -> send(message);
        }
        if (backend != null && !backend.channel().isWritable()) {
            session.channel().config().setAutoRead(false);
        }
    }

    /**
     * Keeps a copy of each message of an extended-query batch that starts outside a transaction with
     * a message naming a prepared statement, so that a batch failing only because a table changed
     * under a statement the backend prepared earlier can run again. A batch that starts with the
     * unnamed statement, as drivers send one-off queries, is not kept: the ParseComplete of its first
     * message reaches the client before any later error could, and a batch the client has had replies
     * to never runs again, so its copy was never used, while making it cost more than any other
     * bookkeeping of the relay.
     */
    private void recordForReplay(ClientMessage message) {
        if (batchComplete) {
            batch.clear();
            batchComplete = false;
            batchReplayable = clientStatus == TransactionStatus.IDLE && namesAStatement(message);
            batchAnswered = false;
            batchReplayed = false;
        }
        byte type = message.type();
        if (type == 'Q' || type == 'F' || type == 'd' || type == 'c' || type == 'f'
                || batch.byteCount() + message.length() > MAX_REPLAY_BYTES) {
            batchReplayable = false;
        }
        if (batchReplayable) {
            if (batch == HeldMessages.NONE) {
                batch = new HeldMessages(session.channel().alloc());
            }
            batch.add(message);
        }
        if (type == 'S' || type == 'Q' || type == 'F') {
            batchComplete = true;
        }
    }

    /** A Parse, Bind or statement Describe whose statement name is not empty. */
    private static boolean namesAStatement(ClientMessage client) {
        ByteBuf message = client.buffer();
        int at = client.bodyIndex();
        int end = client.end();
        switch (client.type()) {
            case 'P' -> {
                return at < end && message.getByte(at) != 0;
            }
            case 'B' -> {
                int portalEnd = at < end ? message.indexOf(at, end, (byte) 0) : -1;
                return portalEnd >= 0 && portalEnd + 1 < end && message.getByte(portalEnd + 1) != 0;
            }
            case 'D' -> {
                return at + 1 < end && message.getByte(at) == 'S' && message.getByte(at + 1) != 0;
            }
            default -> {
                return false;
            }
        }
    }

    private void forwardQuery(ClientMessage query) {
        if (skippingToSync) {
            // The backend ignores a Query until the Sync that ends the failed batch.
            return;
        }
        if (clientStatus != TransactionStatus.FAILED_TRANSACTION && deallocatesProtocolStatement(query)) {
            awaitingReady++;
            expect(Expectation.of(Expectation.Kind.ANSWER_DEALLOCATE));
            return;
        }
        List<List<String>> scanned = scanQuery(query);
        Optional<String> refusal = checkSessionState(scanned);
        forgetWhatTheQueryDiscards(scanned);
        awaitingReady++;
        expect(Expectation.of(Expectation.Kind.QUERY));
        if (refusal.isPresent()) {
            sendQuery(refusalStatement(refusal.get()));
        } else {
            send(query);
        }
    }

    private void forwardParse(ClientMessage parse) {
        unsynced = true;
        ByteBuf message = parse.buffer();
        int nameStart = parse.bodyIndex();
        int end = parse.end();
        int nameEnd = message.indexOf(nameStart, end, (byte) 0);
        if (skippingToSync || nameEnd < 0) {
            passThrough(parse, Expectation.Kind.ONE_REPLY);
            return;
        }
        // Drivers parse the same unnamed statement for every execution: its verdict is remembered,
        // and the same one again goes on as it came, with nothing decoded or copied.
        if (nameEnd == nameStart && sameBytes(message, nameEnd + 1, end, lastHarmlessDefinition)) {
            unnamedParsedThisHold = true;
            unnamedDefinition = lastHarmlessDefinition;
            expect(Expectation.of(Expectation.Kind.ONE_REPLY));
            send(parse);
            return;
        }
        String name = message.toString(nameStart, nameEnd - nameStart, StandardCharsets.ISO_8859_1);
        byte[] definition = new byte[end - nameEnd - 1];
        message.getBytes(nameEnd + 1, definition);
        StatementText text = new StatementText(definition);
        // A named statement with the text of the last harmless one needs no scan either.
        List<List<String>> scanned = Arrays.equals(definition, lastHarmlessDefinition) ? List.of()
                : text.statementsToCheck();
        Optional<String> refusal = checkSessionState(scanned);
        if (refusal.isPresent()) {
            text = text.replacedBy(refusalStatement(refusal.get()));
        } else if (!forgetWhatTheQueryDiscards(scanned) && pinnedBy == null) {
            lastHarmlessDefinition = definition;
        }
        if (name.isEmpty()) {
            unnamedParsedThisHold = true;
            unnamedDefinition = text.definition();
            expect(Expectation.of(Expectation.Kind.ONE_REPLY));
            if (refusal.isPresent()) {
                sendParse("", text);
            } else {
                send(parse);
            }
            return;
        }
        StatementText existing = statements.get(name);
        if (existing != null) {
            // The backend then reports "already exists", as PostgreSQL would for the client's own name.
            ensurePrepared(existing);
            expect(Expectation.of(Expectation.Kind.ONE_REPLY));
            sendParse(existing.backendName(), text);
            return;
        }
        if (statements.size() >= maxClientStatements) {
            throw new ProtocolException(SqlState.PROGRAM_LIMIT_EXCEEDED, "this session has " + maxClientStatements
                    + " prepared statements, the most pgtenant keeps for one client; close some first");
        }
        statementsToKeep().remember(name, text);
        if (backend.statements().contains(text.backendName()) && clientStatus != TransactionStatus.FAILED_TRANSACTION) {
            counters.cacheHits.increment();
            expect(new Expectation(Expectation.Kind.ANSWER_PARSE_COMPLETE, name, text));
            return;
        }
        makeRoom();
        backend.statements().add(text.backendName());
        counters.preparedOnBackends.increment();
        expect(new Expectation(Expectation.Kind.CLIENT_PARSE, name, text));
        sendParse(text.backendName(), text);
    }

    private void forwardBind(ClientMessage bind) {
        unsynced = true;
        ByteBuf message = bind.buffer();
        int portalEnd = message.indexOf(bind.bodyIndex(), bind.end(), (byte) 0);
        int nameEnd = portalEnd < 0 ? -1 : message.indexOf(portalEnd + 1, bind.end(), (byte) 0);
        String name = nameEnd < 0 ? null : boundName(message, portalEnd + 1, nameEnd);
        StatementText text = name == null || skippingToSync ? null : statements.get(name);
        if (text == null) {
            if (name != null && name.isEmpty() && !skippingToSync) {
                restoreUnnamed();
            }
            if (name != null && name.startsWith(StatementText.BACKEND_PREFIX) && !skippingToSync) {
                // Never let a client reach statements the proxy prepared for others.
                expect(Expectation.of(Expectation.Kind.ONE_REPLY));
                sendBind(bind, portalEnd, nameEnd, "pgtenant-unknown:" + name);
                return;
            }
            passThrough(bind, Expectation.Kind.ONE_REPLY);
            return;
        }
        ensurePrepared(text);
        expect(text.bindReply());
        sendBind(bind, portalEnd, nameEnd, text.backendName());
    }

    /**
     * The statement name a Bind names, between {@code start} and {@code end}. The last one decoded is
     * kept with its bytes: a client binds the same few statements again and again.
     */
    private String boundName(ByteBuf message, int start, int end) {
        if (end == start) {
            return "";
        }
        if (!sameBytes(message, start, end, lastBoundNameBytes)) {
            lastBoundName = message.toString(start, end - start, StandardCharsets.ISO_8859_1);
            lastBoundNameBytes = ByteBufUtil.getBytes(message, start, end - start);
        }
        return lastBoundName;
    }

    /** The client's Bind with {@code statement} in place of the name between {@code portalEnd} and {@code nameEnd}. */
    private void sendBind(ClientMessage bind, int portalEnd, int nameEnd, String statement) {
        ByteBuf message = bind.buffer();
        int start = bind.bodyIndex();
        int end = bind.end();
        ByteBuf rewritten = backend.channel().alloc().buffer(end - start + 64);
        rewritten.writeByte('B').writeInt(0);
        rewritten.writeBytes(message, start, portalEnd + 1 - start);
        writeName(rewritten, statement);
        rewritten.writeBytes(message, nameEnd + 1, end - nameEnd - 1);
        rewritten.setInt(1, rewritten.writerIndex() - 1);
        backend.output().write(rewritten);
    }

    /**
     * Before a Bind or Describe of the unnamed statement on a backend this client has not parsed it
     * on during this hold: give the backend the client's own unnamed statement, or none, never the
     * one another client left there.
     */
    private void restoreUnnamed() {
        if (unnamedParsedThisHold) {
            return;
        }
        unnamedParsedThisHold = true;
        if (unnamedDefinition != null) {
            expect(Expectation.of(Expectation.Kind.INTERNAL_PARSE));
            sendParse("", new StatementText(unnamedDefinition));
        } else {
            expect(Expectation.of(Expectation.Kind.INTERNAL_CLOSE));
            sendTargeted('C', "");
        }
    }

    private void forwardDescribe(ClientMessage describe) {
        unsynced = true;
        StatementText text = namedStatement(describe);
        if (text == null) {
            String name = describedStatementName(describe);
            if (name != null && !skippingToSync) {
                if (name.isEmpty()) {
                    restoreUnnamed();
                } else if (name.startsWith(StatementText.BACKEND_PREFIX)) {
                    expect(Expectation.of(Expectation.Kind.DESCRIBE));
                    sendTargeted('D', "pgtenant-unknown:" + name);
                    return;
                }
            }
            passThrough(describe, Expectation.Kind.DESCRIBE);
            return;
        }
        ensurePrepared(text);
        expect(text.describeReply());
        sendTargeted('D', text.backendName());
    }

    private void forwardClose(ClientMessage close) {
        unsynced = true;
        ByteBuf body = close.body();
        boolean statement = body.isReadable() && body.getByte(body.readerIndex()) == 'S';
        String name = statement ? readString(body, 1, StandardCharsets.ISO_8859_1) : null;
        if (skippingToSync || !statement || name == null || name.isEmpty()) {
            passThrough(close, Expectation.Kind.ONE_REPLY);
            return;
        }
        StatementText removed = statements.forget(name);
        expect(new Expectation(Expectation.Kind.ANSWER_CLOSE_COMPLETE, name, removed));
    }

    private void passThrough(ClientMessage message, Expectation.Kind kind) {
        if (skippingToSync) {
            return;
        }
        expect(Expectation.of(kind));
        send(message);
    }

    /** Gives the held backend a statement it lacks, before the message that uses it. */
    private void ensurePrepared(StatementText text) {
        if (backend.statements().contains(text.backendName())) {
            counters.cacheHits.increment();
            return;
        }
        makeRoom();
        backend.statements().add(text.backendName());
        counters.preparedOnBackends.increment();
        expect(new Expectation(Expectation.Kind.INTERNAL_PARSE, null, text));
        sendParse(text.backendName(), text);
    }

    /** Deallocates the backend's least recently used statement when it is at its limit. */
    private void makeRoom() {
        String evicted = backend.statements().evictionCandidate();
        if (evicted != null) {
            backend.statements().remove(evicted);
            counters.evictions.increment();
            expect(new Expectation(Expectation.Kind.INTERNAL_CLOSE, evicted, null));
            sendTargeted('C', evicted);
        }
    }

    /** The client's statements, to keep one more in. */
    private ClientStatements statementsToKeep() {
        if (statements == ClientStatements.NONE) {
            statements = new ClientStatements();
        }
        return statements;
    }

    /**
     * {@code DEALLOCATE name} of one of the client's protocol statements, or {@code DEALLOCATE ALL}
     * of an unpinned client (which has no SQL-level statements): forgotten here, answered by the proxy.
     * Any message may come: only a Query is one (see DeallocateCommand#of).
     */
    private boolean deallocatesProtocolStatement(ClientMessage message) {
        DeallocateCommand command = DeallocateCommand.of(message);
        if (command == null) {
            return false;
        }
        if (command.all()) {
            if (pinnedBy != null) {
                return false;
            }
            statements.forgetAll();
            return true;
        }
        return statements.forget(command.name()) != null;
    }

    /**
     * SQL that drops the backend's prepared statements or settings makes the proxy's books forget them
     * too, whether it comes as a Query or a Parse. Returns whether the SQL drops anything.
     */
    private boolean forgetWhatTheQueryDiscards(List<List<String>> scanned) {
        boolean discards = false;
        // By index: an iterator per query is garbage unless the JIT happens to inline it away.
        for (int i = 0; i < scanned.size(); i++) {
            List<String> statement = scanned.get(i);
            boolean discardAll = statement.size() >= 2 && statement.get(0).equals("discard") && statement.get(1).equals("all");
            if (statement.size() >= 1 && statement.get(0).equals("unlisten") || discardAll) {
                String channel = !discardAll && statement.size() >= 2 ? statement.get(1).replace("\"", "") : null;
                session.context().channelListeners().unlisten(pool, channel, this);
                discards = true;
            }
            if (statement.size() >= 2 && statement.get(1).equals("all")
                    && (statement.get(0).equals("discard") || statement.get(0).equals("deallocate"))) {
                backend.statements().clear();
                if (statement.get(0).equals("discard")) {
                    statements.forgetAll();
                    backend.replaceAppliedSettings(Map.of());
                }
                discards = true;
            }
        }
        return discards;
    }

    private boolean answerDeallocateWithoutBackend(ClientMessage message) {
        if (!deallocatesProtocolStatement(message)) {
            return false;
        }
        writeToClient(new CommandComplete("DEALLOCATE"));
        writeToClient(new ReadyForQuery(TransactionStatus.IDLE));
        session.output().flush();
        return true;
    }

    /**
     * The statements of a Query's SQL a session-state check must look at; an unterminated one has
     * none. A valid Query's string ends with the message, so no search for its end: one with a NUL
     * inside is scanned whole, and PostgreSQL refuses it anyway ("invalid string in message").
     */
    private List<List<String>> scanQuery(ClientMessage query) {
        int last = query.end() - 1;
        int length = last >= query.bodyIndex() && query.buffer().getByte(last) == 0 ? last - query.bodyIndex() : 0;
        // The lexer keeps nothing of the bytes it reads, so a loop's scratch array serves every query that fits.
        byte[] sql = length <= SCRATCH_BYTES ? SCRATCH.get() : new byte[length];
        query.buffer().getBytes(query.bodyIndex(), sql, 0, length);
        if (lastHarmlessQuery != null && lastHarmlessQuery.sameShape(sql, length)) {
            return List.of();
        }
        List<List<String>> scanned = SessionStateScanner.statementsToCheck(sql, 0, length);
        if (scanned.isEmpty()) {
            if (lastHarmlessQuery == null) {
                lastHarmlessQuery = new HarmlessQuery();
            }
            lastHarmlessQuery.remember(sql, length);
        }
        return scanned;
    }

    /** Pins the session, or refuses the statement when pinning is off; returns the refusal. */
    private Optional<String> checkSessionState(List<List<String>> scanned) {
        if (pinnedBy != null) {
            return Optional.empty();
        }
        Optional<String> state = SessionStateScanner.sessionState(scanned);
        if (state.isEmpty()) {
            return Optional.empty();
        }
        if (!pinSessionState) {
            return state;
        }
        pinnedBy = state.get();
        counters.pins.increment();
        log.info("{} uses {}: pinned to its backend connection until it disconnects", session.describe(), pinnedBy);
        return Optional.empty();
    }

    /** A statement that fails with a clear error, in place of one transaction pooling cannot serve. */
    private static String refusalStatement(String what) {
        String message = (what + " is not supported in transaction pooling mode, where sessions share backends; "
                + "use session mode for this client (pool.pinSessionState is off)").replace("'", "''");
        return "DO $pgtenant$BEGIN RAISE EXCEPTION USING ERRCODE = '0A000', MESSAGE = '" + message + "'; END$pgtenant$";
    }

    // ---- backend side ----

    /**
     * The link to the backend connection of a hold (see attachmentFor). Messages and events of a
     * connection this client no longer holds never touch the current one's state.
     */
    private final class Attachment implements BackendUser {
        /** Changed only on the link reused on the client's loop: set for each hold, null between them. */
        private BackendConnection connection;
        /** Frames read on another loop, handed over at the read's end; made only on such a read. */
        private List<Frame> batch;

        Attachment(BackendConnection connection) {
            this.connection = connection;
        }

        @Override
        public void backendMessage(byte type, ByteBuf buffer, int index, int length, int count) {
            if (!session.executor().inEventLoop()) {
                backendFrame(Frame.of(type, buffer, index, length, count));
            } else if (count == 0) {
                forwardPart(this, buffer, index, length);
            } else {
                handleBackend(this, type, buffer, index, length);
            }
        }

        /** A message read on another loop, kept for the client's loop. */
        @Override
        public void backendFrame(Frame frame) {
            if (batch == null) {
                batch = new ArrayList<>();
            }
            batch.add(frame);
        }

        @Override
        public void backendReadComplete() {
            if (session.executor().inEventLoop()) {
                afterBackendBatch();
                return;
            }
            List<Frame> done = batch;
            batch = null;
            if (done != null) {
                onClientLoop(done, () -> {
                    done.forEach(frame -> handleBackend(this, frame));
                    afterBackendBatch();
                });
            }
        }

        /**
         * Runs {@code task}, which takes {@code frames}, on the client's loop; a loop that is stopping
         * refuses it, and the frames are released here instead.
         */
        private void onClientLoop(List<Frame> frames, Runnable task) {
            try {
                session.executor().execute(task);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                frames.forEach(Frame::release);
            }
        }

        @Override
        public void backendWritabilityChanged(boolean writable) {
            BackendConnection from = connection;
            session.executor().execute(() -> {
                if (attachment == this && backend == from) {
                    session.channel().config().setAutoRead(from.channel().isWritable());
                }
            });
        }

        @Override
        public void backendClosed(String reason) {
            BackendConnection from = connection;
            List<Frame> done = batch == null ? List.of() : batch;
            batch = null;
            onClientLoop(done, () -> {
                done.forEach(frame -> handleBackend(this, frame));
                releaseIfDue();
                // A reused link may have gone on to another connection while this waited, or the
                // session dropped this one already (lostTrack).
                if (attachment != this || backend != from) {
                    return;
                }
                backend = null;
                attachment = null;
                running = null;
                from.output().discard();
                pool.discard(from, reason);
                session.fatal(SqlState.CONNECTION_FAILURE, "lost the connection to the database server of "
                        + session.destination() + " (" + reason + "); reconnect to continue");
            });
        }
    }

    private void afterBackendBatch() {
        releaseIfDue();
        Channel client = session.channel();
        session.output().flush();
        BackendConnection current = backend;
        if (current != null && !client.isWritable()) {
            current.readWhileWritable(client);
        }
    }

    private void handleBackend(Attachment from, Frame frame) {
        ByteBuf content = frame.content();
        try {
            if (frame.count() == 0) {
                forwardPart(from, content, content.readerIndex(), content.readableBytes());
            } else {
                handleBackend(from, frame.type(), content, content.readerIndex(), content.readableBytes());
            }
        } finally {
            frame.release();
        }
    }

    /** One message from the backend, at {@code index} to {@code index + length} of {@code buffer}, valid during the call. */
    private void handleBackend(Attachment from, byte type, ByteBuf buffer, int index, int length) {
        if (log.isTraceEnabled()) {
            log.trace("{} <- backend: {} (expecting {}, backend {})", session.describe(), (char) type, expected,
                    backend);
        }
        if (closed || from != attachment || releaseDue) {
            // A late notice or parameter change from a connection already given back, or due to go back at
            // the end of this read with nothing more to answer: it concerns only this client.
            if (!closed && (type == 'N' || type == 'S' || type == 'A')) {
                if (midMessage()) {
                    holdForRowEnd(buffer.retainedSlice(index, length));
                } else {
                    session.output().write(buffer, index, length);
                    session.output().flush();
                }
            }
            return;
        }
        switch (type) {
            case 'S' -> {
                recordReported(buffer.slice(index + Frame.HEADER_LENGTH, length - Frame.HEADER_LENGTH));
                toClient(buffer, index, length);
            }
            case 'E' -> onError(buffer, index, length);
            case 'Z' -> onReady(buffer, index, length);
            case '1' -> onReply(type, buffer, index, length, PARSE_COMPLETE_ANSWERS);
            case '2' -> onReply(type, buffer, index, length, BIND_COMPLETE_ANSWERS);
            case '3' -> onReply(type, buffer, index, length, CLOSE_COMPLETE_ANSWERS);
            case 'T', 'n' -> {
                Expectation head = expected.peek();
                if (head != null && head.kind() == Expectation.Kind.DESCRIBE) {
                    expected.poll();
                }
                toClient(buffer, index, length);
            }
            case 'C', 'I', 's' -> {
                Expectation head = expected.peek();
                if (head != null && head.kind() == Expectation.Kind.EXECUTE) {
                    expected.poll();
                }
                toClient(buffer, index, length);
            }
            case 'G' -> {
                Expectation head = expected.peek();
                if (head != null && head.kind() == Expectation.Kind.EXECUTE) {
                    enterExtendedCopyIn();
                }
                toClient(buffer, index, length);
            }
            default -> toClient(buffer, index, length);
        }
        answerWhatTheProxyCan();
    }

    /**
     * Part of a row the backend passes on as it arrives (see MessageScanner#relaying); what came for
     * the client in the middle of it goes out once its last part has.
     */
    private void forwardPart(Attachment from, ByteBuf buffer, int index, int length) {
        if (closed || from != attachment || releaseDue) {
            return;
        }
        toClient(buffer, index, length);
        if (rowParts == null) {
            rowParts = new MessageParts();
        }
        if (rowParts.add(buffer, index, length) && heldForRowEnd != null) {
            // After the row's last part, and counted until the socket takes them, as notifications are.
            session.output().writeRun();
            for (ByteBuf held = heldForRowEnd.poll(); held != null; held = heldForRowEnd.poll()) {
                int size = held.readableBytes();
                session.channel().write(held).addListener(written -> unreadNotificationBytes -= size);
            }
            heldForRowEnd = null;
        }
    }

    /**
     * Held messages count as unread notifications: a client that stops reading in the middle of a
     * row cannot make the proxy keep more of them than of those.
     */
    private void holdForRowEnd(ByteBuf message) {
        unreadNotificationBytes += message.readableBytes();
        if (heldForRowEnd == null) {
            heldForRowEnd = new ArrayDeque<>();
        }
        heldForRowEnd.add(message);
    }

    @Override
    public boolean midMessage() {
        return rowParts != null && rowParts.midMessage();
    }

    private void onReply(byte type, ByteBuf buffer, int index, int length, Set<Expectation.Kind> accepted) {
        Expectation head = expected.poll();
        if (head == null || !accepted.contains(head.kind())) {
            lostTrack("unexpected reply '" + (char) type + "' while expecting " + (head == null ? "nothing" : head.kind()));
            return;
        }
        if (head.kind() != Expectation.Kind.INTERNAL_PARSE && head.kind() != Expectation.Kind.INTERNAL_CLOSE) {
            toClient(buffer, index, length);
        }
    }

    private void onReady(ByteBuf buffer, int index, int length) {
        while (!expected.isEmpty() && !expected.peek().kind().endsWithReady()) {
            Expectation skipped = expected.poll();
            if (!skipped.kind().answeredByProxy()) {
                lostTrack("ReadyForQuery arrived while still expecting " + skipped.kind());
                return;
            }
            answer(skipped);
        }
        Expectation ready = expected.poll();
        if (ready == null) {
            lostTrack("ReadyForQuery arrived unasked");
            return;
        }
        awaitingReady--;
        if (ready.kind() == Expectation.Kind.REPLAYED_SYNC) {
            releaseDue = releasable();
            return;
        }
        TransactionStatus reported = length > Frame.HEADER_LENGTH
                ? TransactionStatus.valueOf(buffer.getByte(index + Frame.HEADER_LENGTH)) : null;
        if (reported != null) {
            clientStatus = reported;
        }
        toClient(buffer, index, length);
        releaseDue = releasable();
    }

    private void onError(ByteBuf buffer, int index, int length) {
        copyIn = false;
        Expectation head = expected.peek();
        if (head != null && !head.kind().endsWithReady() && heldError == null && isStalePlan(buffer, index, length)) {
            boolean runAgain = replayable();
            boolean holdForSync = !batchComplete && batchReplayable && !batchAnswered && !batchReplayed;
            forgetStaleStatements(head);
            if (holdForSync) {
                // The rest of the batch is still on its way: decide when its Sync comes, holding the error till then.
                heldError = Frame.of((byte) 'E', buffer, index, length, 1);
                skipToSync(head);
                return;
            }
            if (runAgain) {
                replay();
                return;
            }
        }
        if (head != null && (head.kind() == Expectation.Kind.CLIENT_PARSE || head.kind() == Expectation.Kind.INTERNAL_PARSE)
                && head.text() != null && backend != null && hasSqlState(buffer, index, length, DUPLICATE_PREPARED_STATEMENT)) {
            // Only a session with no reset query can have put it there; the proxy cannot trust that
            // backend's statements any more.
            backend.markUnfitForNext("the name " + head.text().backendName() + " the proxy prepares statements under was taken on it");
        }
        if (head != null && !head.kind().endsWithReady()) {
            expected.poll();
            undo(head);
        }
        toClient(buffer, index, length);
        if (head != null && head.kind().endsWithReady()) {
            return;
        }
        // The head is out of the queue and undone already; an expectation equal to it may come next.
        skipToSync(null);
    }

    /**
     * The backend now ignores everything up to the next Sync; so does the queue. Undone last first,
     * so that a Close and a Parse of the same name end where the backend does.
     */
    private void skipToSync(Expectation failed) {
        if (failed != null && expected.peek() == failed) {
            expected.poll();
            undo(failed);
        }
        List<Expectation> skipped = new ArrayList<>();
        boolean syncQueued = false;
        while (!expected.isEmpty()) {
            if (expected.peek().kind() == Expectation.Kind.SYNC) {
                syncQueued = true;
                break;
            }
            skipped.add(expected.poll());
        }
        for (int i = skipped.size() - 1; i >= 0; i--) {
            undo(skipped.get(i));
        }
        if (!syncQueued) {
            skippingToSync = true;
        }
    }

    /** Reverses what the proxy assumed when it sent a message the backend then skipped or refused. */
    private void undo(Expectation skipped) {
        switch (skipped.kind()) {
            case CLIENT_PARSE, ANSWER_PARSE_COMPLETE -> {
                statements.forget(skipped.clientName());
                if (skipped.kind() == Expectation.Kind.CLIENT_PARSE) {
                    backend.statements().remove(skipped.text().backendName());
                }
            }
            case INTERNAL_PARSE -> {
                if (skipped.text() != null) {
                    backend.statements().remove(skipped.text().backendName());
                } else {
                    unnamedParsedThisHold = false;
                }
            }
            case INTERNAL_CLOSE -> {
                if (skipped.clientName() != null) {
                    backend.statements().add(skipped.clientName());
                }
            }
            case QUERY -> awaitingReady--;
            case ANSWER_CLOSE_COMPLETE -> {
                if (skipped.text() != null) {
                    statementsToKeep().restore(skipped.clientName(), skipped.text());
                }
            }
            case ANSWER_DEALLOCATE -> awaitingReady--;
            default -> {
            }
        }
    }

    private static boolean hasSqlState(ByteBuf buffer, int index, int length, String sqlState) {
        ErrorResponse error = errorAt(buffer, index, length);
        return error != null && sqlState.equals(error.sqlState());
    }

    private static boolean isStalePlan(ByteBuf buffer, int index, int length) {
        ErrorResponse error = errorAt(buffer, index, length);
        return error != null && "0A000".equals(error.sqlState()) && error.message() != null && error.message().startsWith(STALE_PLAN);
    }

    /** The ErrorResponse at {@code index} of {@code buffer}; null when it is malformed. */
    private static ErrorResponse errorAt(ByteBuf buffer, int index, int length) {
        try {
            return (ErrorResponse) BackendMessages.decode((byte) 'E',
                    buffer.slice(index + Frame.HEADER_LENGTH, length - Frame.HEADER_LENGTH));
        } catch (ProtocolException e) {
            return null;
        }
    }

    /**
     * A table changed under this batch's prepared statements: the backend must prepare them afresh.
     * Their backend copies are closed once the backend has stopped skipping, after the batch's Sync.
     */
    private void forgetStaleStatements(Expectation failed) {
        List<StatementText> stale = new ArrayList<>();
        if (failed.text() != null) {
            stale.add(failed.text());
        }
        batch.forEach(message -> {
            StatementText text = message.type() == 'B' ? boundStatement(message) : message.type() == 'D' ? namedStatement(message) : null;
            if (text != null) {
                stale.add(text);
            }
        });
        for (StatementText text : stale) {
            if (backend.statements().contains(text.backendName())) {
                backend.statements().remove(text.backendName());
                if (staleOnBackend.isEmpty()) {
                    staleOnBackend = new ArrayList<>();
                }
                staleOnBackend.add(text.backendName());
            }
        }
        if (batchComplete) {
            closeStaleStatements();
        }
    }

    /** Closes the stale statements, with a Sync of the proxy's own so the backend answers at once. */
    private void closeStaleStatements() {
        if (staleOnBackend.isEmpty()) {
            return;
        }
        for (String stale : staleOnBackend) {
            expect(Expectation.of(Expectation.Kind.INTERNAL_CLOSE));
            sendTargeted('C', stale);
        }
        staleOnBackend = List.of();
        awaitingReady++;
        expect(Expectation.of(Expectation.Kind.REPLAYED_SYNC));
        ByteBuf sync = backend.channel().alloc().buffer(5);
        new dev.pgtenant.protocol.message.frontend.Sync().encode(sync);
        backend.output().write(sync);
        backend.output().flush();
    }

    /**
     * Runs the batch again when the client cannot tell: the whole batch is known, nothing of it has
     * reached the client, it started outside a transaction (the failure rolled back only itself),
     * nothing after it is in flight, and it describes its results (so a changed row shape is
     * announced to the client rather than surprising it).
     */
    private boolean replayable() {
        boolean describes = batch.anyMatch(message -> message.type() == 'D');
        long syncs = expected.stream().filter(e -> e.kind() == Expectation.Kind.SYNC).count();
        return batchReplayable && batchComplete && !batchAnswered && !batchReplayed && describes && syncs == 1
                && expected.peekLast() != null && expected.peekLast().kind() == Expectation.Kind.SYNC;
    }

    /**
     * The Sync of a batch whose stale-plan error was held has come: run the batch again if it
     * qualifies (true), else give the client the error now, ahead of the coming ReadyForQuery.
     */
    private boolean decideHeldError() {
        Frame error = heldError;
        heldError = null;
        if (batchReplayable && batch.anyMatch(message -> message.type() == 'D')) {
            error.release();
            return true;
        }
        toClient(error);
        return false;
    }

    private void replay() {
        List<Expectation> skipped = new ArrayList<>();
        while (expected.peek().kind() != Expectation.Kind.SYNC) {
            skipped.add(expected.poll());
        }
        for (int i = skipped.size() - 1; i >= 0; i--) {
            undo(skipped.get(i));
        }
        expected.poll();
        expectations().addFirst(Expectation.of(Expectation.Kind.REPLAYED_SYNC));
        replayBatch();
    }

    /** Sends the kept batch again; it is the same batch, so it is not run a third time. */
    private void replayBatch() {
        // Taken out of the batch: forwarding them records them anew.
        ByteBuf again = batch.take();
        batchComplete = false;
        batchReplayed = true;
        counters.replays.increment();
        log.info("{}: a table changed under a prepared statement; preparing it again and rerunning the batch",
                session.describe());
        forwardHeld(again);
        if (backend != null) {
            backend.output().flush();
        }
    }

    /**
     * COPY IN started by Execute: the backend ignores the Syncs that reach it before CopyDone or
     * CopyFail, including any the client already sent; only a later one is answered. Which of the
     * Syncs a client pipelines around its CopyDone the backend answers depends on when each reaches
     * it, and a CopyFail leaves it skipping to the next Sync: the proxy cannot follow that for certain,
     * so the session keeps this backend, and the backend is closed when the session ends. A count
     * that goes wrong then ends only this session (lostTrack); no other client gets the connection.
     */
    private void enterExtendedCopyIn() {
        if (!extendedCopy) {
            extendedCopy = true;
            if (pinnedBy == null) {
                pinnedBy = "COPY FROM STDIN in the extended protocol";
                counters.pins.increment();
                log.info("{} uses {}: pinned to its backend connection, which is closed when it disconnects",
                        session.describe(), pinnedBy);
            }
        }
        copyIn = true;
        List<Expectation> rest = new ArrayList<>(expected);
        expected.clear();
        expectations().add(rest.get(0));
        for (Expectation later : rest.subList(1, rest.size())) {
            if (later.kind() == Expectation.Kind.SYNC) {
                awaitingReady--;
            } else {
                expectations().add(later);
            }
        }
    }

    /** Sends the client the replies the proxy gives itself, once everything before them has arrived. */
    private void answerWhatTheProxyCan() {
        while (!expected.isEmpty() && expected.peek().kind().answeredByProxy()) {
            answer(expected.poll());
        }
    }

    private void answer(Expectation expectation) {
        switch (expectation.kind()) {
            case ANSWER_PARSE_COMPLETE -> writeToClient(new ParseComplete());
            case ANSWER_CLOSE_COMPLETE -> writeToClient(new CloseComplete());
            case ANSWER_DEALLOCATE -> {
                writeToClient(new CommandComplete("DEALLOCATE"));
                writeToClient(new ReadyForQuery(clientStatus));
                awaitingReady--;
                releaseIfDone();
            }
            default -> throw new IllegalStateException("not a reply the proxy gives: " + expectation.kind());
        }
    }

    private ArrayDeque<Expectation> expectations() {
        if (expected instanceof NotYetMade) {
            expected = new ArrayDeque<>(2);
        }
        return expected;
    }

    private HeldMessages held() {
        if (waiting == HeldMessages.NONE) {
            waiting = new HeldMessages(session.channel().alloc());
        }
        return waiting;
    }

    /**
     * The empty queue a session has until it first needs one: a client that logs in and stays idle
     * then costs two objects less. Reading it sees an empty queue; inserting fails loudly, so a
     * forgotten {@link #expectations()} or {@link #held()} can never put one session's entries where
     * every session would see them.
     */
    private static final class NotYetMade<E> extends ArrayDeque<E> {
        private static final NotYetMade<Object> INSTANCE = new NotYetMade<>();

        private NotYetMade() {
            super(1);
        }

        @SuppressWarnings("unchecked")
        static <E> ArrayDeque<E> instance() {
            return (ArrayDeque<E>) INSTANCE;
        }

        @Override
        public void addFirst(E element) {
            throw new IllegalStateException("a queue not made yet was written to");
        }

        @Override
        public void addLast(E element) {
            throw new IllegalStateException("a queue not made yet was written to");
        }

        @Override
        public boolean addAll(Collection<? extends E> elements) {
            throw new IllegalStateException("a queue not made yet was written to");
        }

        /** Empty already; and a shared object is best left unwritten, even with the values it has. */
        @Override
        public void clear() {
        }
    }

    private void expect(Expectation expectation) {
        expectations().add(expectation);
        if (expected.size() == 1 && expectation.kind().answeredByProxy()) {
            answerWhatTheProxyCan();
            session.output().flush();
        }
    }

    /** Gives the backend back once the client is between transactions and nothing is in flight. */
    private void releaseIfDue() {
        if (releaseDue) {
            releaseDue = false;
            releaseIfDone();
        }
    }

    /** Whether the held backend has answered everything and may go back to the pool, cancels aside. */
    private boolean releasable() {
        BackendConnection current = backend;
        return current != null && !closed && pinnedBy == null && awaitingReady == 0 && !unsynced && expected.isEmpty()
                && waiting.isEmpty() && !forwardingHeld && current.status() == TransactionStatus.IDLE;
    }

    private void releaseIfDone() {
        if (!releasable()) {
            return;
        }
        BackendConnection current = backend;
        running = null;
        if (cancelsInFlight > 0) {
            running = current;
            return;
        }
        release(current);
    }

    private void release(BackendConnection connection) {
        // Nothing that awaits a reply can be pending here; whatever is goes out before the next user's bytes.
        if (connection.output().writeRun()) {
            connection.flush();
        }
        Attachment released = attachment;
        backend = null;
        attachment = null;
        releaseDue = false;
        // Reads paused because this backend could not take more must not wait for its news any longer.
        resumeClientReads();
        connection.markSettingsChanged();
        // The backend's read-complete event will reach its next user, not this relay: flush now.
        session.output().flush();
        connection.onLoop(TransactionRelay::giveBack, pool);
        if (released != null && released == localAttachment) {
            // Given back inline, so nothing names the link any more; an idle session keeps no connection alive.
            released.connection = null;
        }
    }

    private static void giveBack(BackendConnection connection, BackendPool pool) {
        connection.setUser(null);
        pool.release(connection);
    }

    private void lostTrack(String what) {
        log.error("{}: {}; closing the session", session.describe(), what);
        BackendConnection lost = backend;
        backend = null;
        attachment = null;
        running = null;
        if (lost != null) {
            lost.output().discard();
            pool.discard(lost, "pgtenant lost track of the protocol state");
        }
        session.fatal(SqlState.INTERNAL_ERROR, "pgtenant lost track of this session's protocol state; reconnect");
    }

    private void recordReported(String name, String value) {
        if (isReported(name) && !value.equals(reported.get(name))) {
            // Replaced rather than changed: it rarely changes, and sessions with the same values share one map.
            Map<String, String> next = new HashMap<>(reported);
            next.put(name, value);
            reported = session.context().sharedSettings().share(next);
        }
    }

    private void recordReported(ByteBuf body) {
        try {
            BackendMessage message = BackendMessages.decode((byte) 'S', body);
            ParameterStatus status = (ParameterStatus) message;
            recordReported(status.name(), status.value());
        } catch (ProtocolException e) {
            log.warn("{}: malformed ParameterStatus from the backend: {}", session.describe(), e.getMessage());
        }
    }

    // ---- writing ----

    /** A backend's message, where it lies in the backend's read. */
    private void toClient(ByteBuf buffer, int index, int length) {
        batchAnswered = true;
        session.output().write(buffer, index, length);
    }

    private void toClient(Frame frame) {
        batchAnswered = true;
        session.output().write(frame.content());
    }

    private void writeToClient(BackendMessage message) {
        batchAnswered = true;
        ByteBuf buf = session.channel().alloc().buffer();
        message.encode(buf);
        session.output().write(buf);
    }

    private void send(ClientMessage message) {
        backend.output().write(message.buffer(), message.index(), message.length());
    }

    private void sendQuery(String sql) {
        ByteBuf buf = backend.channel().alloc().buffer();
        new dev.pgtenant.protocol.message.frontend.Query(sql).encode(buf);
        backend.output().write(buf);
    }

    private void sendParse(String backendName, StatementText text) {
        ByteBuf buf = backend.channel().alloc().buffer(text.definition().length + backendName.length() + 8);
        buf.writeByte('P').writeInt(0);
        writeName(buf, backendName);
        buf.writeBytes(text.definition());
        buf.setInt(1, buf.writerIndex() - 1);
        backend.output().write(buf);
    }

    /** Describe or Close of a statement. */
    private void sendTargeted(char type, String backendName) {
        ByteBuf buf = backend.channel().alloc().buffer(backendName.length() + 8);
        buf.writeByte(type).writeInt(0).writeByte('S');
        writeName(buf, backendName);
        buf.setInt(1, buf.writerIndex() - 1);
        backend.output().write(buf);
    }

    /** The client's statement a Bind names, or null. */
    private StatementText boundStatement(ClientMessage bind) {
        ByteBuf message = bind.buffer();
        int portalEnd = message.indexOf(bind.bodyIndex(), bind.end(), (byte) 0);
        int nameEnd = portalEnd < 0 ? -1 : message.indexOf(portalEnd + 1, bind.end(), (byte) 0);
        return nameEnd < 0 ? null : statements.get(boundName(message, portalEnd + 1, nameEnd));
    }

    /** The client's named statement a Describe of a statement names, or null (and null while skipping to Sync). */
    private StatementText namedStatement(ClientMessage describe) {
        String name = skippingToSync ? null : describedStatementName(describe);
        return name == null || name.isEmpty() ? null : statements.get(name);
    }

    /** The name in a Describe of a statement, "" for the unnamed one; null for a portal or an unterminated name. */
    private static String describedStatementName(ClientMessage describe) {
        ByteBuf message = describe.buffer();
        int at = describe.bodyIndex();
        return at < describe.end() && message.getByte(at) == 'S'
                ? stringAt(message, at + 1, describe.end(), StandardCharsets.ISO_8859_1) : null;
    }

    private static boolean isReported(String name) {
        return SessionStateScanner.isReported(name);
    }
}
