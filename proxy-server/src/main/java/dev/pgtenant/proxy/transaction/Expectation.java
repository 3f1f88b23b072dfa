package dev.pgtenant.proxy.transaction;

import java.util.Arrays;

/**
 * What the proxy expects back for one message it forwarded (or answered itself), in order. The
 * backend answers messages in the order it received them, so the head of the queue says what the
 * next reply belongs to; after an error, the backend skips to the next Sync, and so does the queue.
 */
record Expectation(Kind kind, String clientName, StatementText text) {

    enum Kind {
        /** The client's Parse of a new statement: ParseComplete goes to the client. */
        CLIENT_PARSE,
        /** A Parse the proxy sent to give this backend a statement the client prepared elsewhere. */
        INTERNAL_PARSE,
        /** A Close the proxy sent to keep the backend within its statement limit. */
        INTERNAL_CLOSE,
        /** A message answered by exactly one reply that goes to the client (Bind, Close of a portal, unnamed Parse). */
        ONE_REPLY,
        /** Describe: ends with RowDescription or NoData. */
        DESCRIBE,
        /** Execute: ends with CommandComplete, EmptyQueryResponse or PortalSuspended. */
        EXECUTE,
        /** Sync: ends with ReadyForQuery; the end of an extended-query batch. */
        SYNC,
        /** Query or FunctionCall: ends with ReadyForQuery, and ignored by a backend skipping to Sync. */
        QUERY,
        /** The Sync of a batch the proxy runs again: its ReadyForQuery is not for the client. */
        REPLAYED_SYNC,
        /** ParseComplete the proxy answers itself: the backend has the statement already. */
        ANSWER_PARSE_COMPLETE,
        /** CloseComplete the proxy answers itself: the statement stays cached on the backend. */
        ANSWER_CLOSE_COMPLETE,
        /** CommandComplete DEALLOCATE and ReadyForQuery the proxy answers itself. */
        ANSWER_DEALLOCATE;

        boolean endsWithReady() {
            return this == SYNC || this == QUERY || this == REPLAYED_SYNC;
        }

        boolean answeredByProxy() {
            return this == ANSWER_PARSE_COMPLETE || this == ANSWER_CLOSE_COMPLETE || this == ANSWER_DEALLOCATE;
        }
    }

    /** One per kind, shared: most messages expect a reply that concerns no statement. */
    private static final Expectation[] PLAIN = Arrays.stream(Kind.values())
            .map(kind -> new Expectation(kind, null, null)).toArray(Expectation[]::new);

    static Expectation of(Kind kind) {
        return PLAIN[kind.ordinal()];
    }
}
