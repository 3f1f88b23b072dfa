package dev.pgtenant.proxy.transaction;

import dev.pgtenant.protocol.codec.Frame;
import io.netty.buffer.ByteBuf;

/**
 * The client message the relay is handling, where it lies in the buffer it was read into. Read in
 * place, a message forwarded as it came costs no object and no change of a reference count. Valid
 * only during the call that handles it: {@link #keep()} makes a frame of a message that must wait.
 * Its fields end at {@link #end()}, not at the buffer's writer index, where the next message may start.
 */
final class ClientMessage {

    private byte type;
    private ByteBuf buffer;
    private int index;
    private int length;

    ClientMessage set(byte type, ByteBuf buffer, int index, int length) {
        this.type = type;
        this.buffer = buffer;
        this.index = index;
        this.length = length;
        return this;
    }

    /** The message a frame holds, valid while the frame is. */
    ClientMessage set(Frame frame) {
        ByteBuf content = frame.content();
        return set(frame.type(), content, content.readerIndex(), content.readableBytes());
    }

    byte type() {
        return type;
    }

    /** The buffer the message lies in, header included, from {@link #index()} to {@link #end()}. */
    ByteBuf buffer() {
        return buffer;
    }

    int index() {
        return index;
    }

    /** The whole message's length, header included. */
    int length() {
        return length;
    }

    int bodyIndex() {
        return index + Frame.HEADER_LENGTH;
    }

    int end() {
        return index + length;
    }

    /** The body as a buffer of its own, for the paths that decode fields; one more object. */
    ByteBuf body() {
        return buffer.slice(bodyIndex(), length - Frame.HEADER_LENGTH);
    }

    /** A frame of the message, retaining its buffer, for a message the relay holds beyond this call. */
    Frame keep() {
        return Frame.of(type, buffer, index, length, 1);
    }
}
