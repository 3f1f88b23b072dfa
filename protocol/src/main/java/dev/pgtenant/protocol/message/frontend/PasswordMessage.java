package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;

/** A cleartext password, or an {@code md5...} hash, answering a password request ('p'). */
public record PasswordMessage(String password) implements FrontendMessage {

    public PasswordMessage {
        MessageWriter.requireCString(password, "password");
    }

    static PasswordMessage decode(MessageReader in) {
        return new PasswordMessage(in.readCString());
    }

    @Override
    public byte type() {
        return 'p';
    }

    @Override
    public void writeBody(ByteBuf out) {
        MessageWriter.writeCString(out, password);
    }

    @Override
    public String toString() {
        return "PasswordMessage[<hidden>]";
    }
}
