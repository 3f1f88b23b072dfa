package dev.pgtenant.protocol.message.frontend;

import dev.pgtenant.protocol.ByteString;
import dev.pgtenant.protocol.codec.MessageReader;
import dev.pgtenant.protocol.codec.MessageWriter;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A fast-path function call, used by libpq's large-object functions ('F'). */
public record FunctionCall(int functionOid, List<Short> argumentFormats, List<ByteString> arguments,
                           short resultFormat) implements FrontendMessage {

    public FunctionCall {
        if (argumentFormats.size() > 0xFFFF || arguments.size() > 0xFFFF) {
            throw new IllegalArgumentException("too many arguments");
        }
        argumentFormats = List.copyOf(argumentFormats);
        arguments = Collections.unmodifiableList(new ArrayList<>(arguments));
    }

    static FunctionCall decode(MessageReader in) {
        int oid = in.readInt();
        int formatCount = in.readCount("argument format", 2);
        List<Short> formats = new ArrayList<>(formatCount);
        for (int i = 0; i < formatCount; i++) {
            formats.add(in.readShort());
        }
        int count = in.readCount("argument", 4);
        List<ByteString> arguments = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            arguments.add(in.readNullableBytes());
        }
        return new FunctionCall(oid, formats, arguments, in.readShort());
    }

    @Override
    public byte type() {
        return 'F';
    }

    @Override
    public void writeBody(ByteBuf out) {
        out.writeInt(functionOid);
        out.writeShort(argumentFormats.size());
        argumentFormats.forEach(out::writeShort);
        out.writeShort(arguments.size());
        arguments.forEach(argument -> MessageWriter.writeNullableBytes(out, argument));
        out.writeShort(resultFormat);
    }
}
