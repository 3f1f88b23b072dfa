package dev.pgtenant.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One whole typed message exactly as it arrived: the type byte, the length and the body. The relay
 * forwards {@link #content()} untouched; code that must look inside uses {@link #body()}.
 * Reference counted: whoever ends up holding a frame releases it once.
 */
public final class Frame extends DefaultByteBufHolder {

    /** The type byte and the int32 length that precede every body. */
    public static final int HEADER_LENGTH = 5;

    private final byte type;

    public Frame(byte type, ByteBuf message) {
        super(message);
        this.type = type;
    }

    public byte type() {
        return type;
    }

    /** The body without the header, sharing the frame's memory; valid while the frame is retained. */
    public ByteBuf body() {
        ByteBuf message = content();
        return message.slice(message.readerIndex() + HEADER_LENGTH, message.readableBytes() - HEADER_LENGTH);
    }

    @Override
    public Frame replace(ByteBuf content) {
        return new Frame(type, content);
    }

    @Override
    public Frame retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public Frame retain() {
        super.retain();
        return this;
    }

    @Override
    public Frame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public Frame touch() {
        super.touch();
        return this;
    }

    @Override
    public Frame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "Frame[" + (char) type + ", " + content().readableBytes() + " bytes]";
    }
}
