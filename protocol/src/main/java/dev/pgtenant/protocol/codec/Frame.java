package dev.pgtenant.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One whole typed message exactly as it arrived: the type byte, the length and the body. The relay
 * forwards {@link #content()} untouched; code that must look inside uses {@link #body()}.
 * A scanner that merges runs ({@link MessageScanner#mergingRuns}) may instead give one frame for
 * several consecutive messages of a type forwarded without being looked into, such as DataRow:
 * then {@link #count()} says how many. A relaying scanner ({@link MessageScanner#relaying}) may
 * give a frame of part of one such message, with a count of 0. Reference counted: whoever ends up
 * holding a frame releases it once.
 */
public final class Frame extends DefaultByteBufHolder {

    /** The type byte and the int32 length that precede every body. */
    public static final int HEADER_LENGTH = 5;

    private final byte type;
    private final int count;
    /** The buffer the frame was read from, which its content keeps alive, so that neighbours can be written as one; or null. */
    private final ByteBuf source;
    private final int sourceIndex;

    public Frame(byte type, ByteBuf message) {
        this(type, message, 1);
    }

    /** {@code count} whole messages of {@code type}, one after the other in {@code messages}. */
    public Frame(byte type, ByteBuf messages, int count) {
        this(type, messages, count, null, 0);
    }

    private Frame(byte type, ByteBuf messages, int count, ByteBuf source, int sourceIndex) {
        super(messages);
        if (count < 0) {
            throw new IllegalArgumentException("a frame holds part of a message, one message or more");
        }
        this.type = type;
        this.count = count;
        this.source = source;
        this.sourceIndex = sourceIndex;
    }

    /**
     * A frame of the {@code count} messages (0: part of one) at {@code index} to
     * {@code index + length} of {@code buffer}, retaining it. A {@link RunWriter} writes frames made
     * so from one buffer, one after the other, as one.
     * Only a root buffer is remembered: the frame's slice keeps a root alive, while a derived buffer
     * with a count of its own could be freed and reused for other bytes while the frame lives.
     */
    public static Frame of(byte type, ByteBuf buffer, int index, int length, int count) {
        boolean root = buffer.unwrap() == null;
        return new Frame(type, buffer.retainedSlice(index, length), count, root ? buffer : null, index);
    }

    /** The buffer the frame was read from, valid while the frame is; null when not known. */
    ByteBuf source() {
        return source;
    }

    /** Where the frame's content starts in {@link #source()}. */
    int sourceIndex() {
        return sourceIndex;
    }

    public byte type() {
        return type;
    }

    /** How many messages of {@link #type()} the frame holds: 1 unless its decoder merged a run; 0 for part of one. */
    public int count() {
        return count;
    }

    /**
     * Where the body starts in {@link #content()}: read a message's fields by index from there to
     * its writer index, on the hot path, where {@link #body()}'s slice would be one more object.
     * Like {@link #body()}, only meaningful for a frame of one message.
     */
    public int bodyIndex() {
        return content().readerIndex() + HEADER_LENGTH;
    }

    /**
     * The body without the header, sharing the frame's memory; valid while the frame is retained.
     * Only a frame of one message has a body.
     */
    public ByteBuf body() {
        if (count != 1) {
            throw new IllegalStateException(count == 0 ? "part of a message has no body"
                    : "a run of " + count + " messages has no single body");
        }
        ByteBuf message = content();
        return message.slice(message.readerIndex() + HEADER_LENGTH, message.readableBytes() - HEADER_LENGTH);
    }

    @Override
    public Frame replace(ByteBuf content) {
        return new Frame(type, content, count);
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
        return "Frame[" + (char) type + (count == 1 ? "" : " x" + count) + ", " + content().readableBytes() + " bytes]";
    }
}
