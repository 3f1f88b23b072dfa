package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/**
 * A typed message a client sends after the startup phase. Immutable; encodes itself as one frame.
 * Startup-phase packets, which have no type byte, are in the {@code startup} package.
 */
public sealed interface FrontendMessage
        permits Bind, Close, CopyData, CopyDone, CopyFail, Describe, Execute, Flush, FunctionCall,
                Parse, PasswordMessage, Query, SaslInitialResponse, SaslResponse, Sync, Terminate {

    byte type();

    void writeBody(ByteBuf out);

    default void encode(ByteBuf out) {
        MessageWriter.frame(out, type(), this::writeBody);
    }
}
