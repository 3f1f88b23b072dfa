package dev.pgtenant.protocol.message.backend;

import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** A message a PostgreSQL server sends to its client. Immutable; encodes itself as one frame. */
public sealed interface BackendMessage
        permits Authentication, BackendKeyData, BindComplete, CloseComplete, CommandComplete,
                CopyData, CopyDone, CopyResponse, DataRow, EmptyQueryResponse, FunctionCallResponse,
                NegotiateProtocolVersion, NoData, NotificationResponse, ParameterDescription,
                ParameterStatus, ParseComplete, PortalSuspended, ReadyForQuery, RowDescription,
                ServerNotice {

    byte type();

    void writeBody(ByteBuf out);

    default void encode(ByteBuf out) {
        MessageWriter.frame(out, type(), this::writeBody);
    }
}
