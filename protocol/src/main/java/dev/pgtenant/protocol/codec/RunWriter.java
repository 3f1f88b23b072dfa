package dev.pgtenant.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * Writes messages to a channel, joining those that lie one after the other in the same buffer into
 * one write: a relay forwarding a read's messages one by one makes a single write of them, one
 * retain and one slice, instead of one of each per message. While a run may be pending, every write
 * to the channel goes through here, or it would overtake the run. Not thread-safe: one owner at a
 * time uses it, on its own thread, which need not be the channel's event loop (Netty hands such
 * writes to the loop in order); an owner that gives it up writes or discards its run first.
 */
public final class RunWriter {

    private final Channel channel;
    /** The buffer the pending run lies in, retained once for the run; null when none is pending. */
    private ByteBuf runBuffer;
    private int runStart;
    private int runEnd;

    public RunWriter(Channel channel) {
        this.channel = channel;
    }

    /**
     * Writes the bytes at {@code index} to {@code index + length} of {@code buffer}, which need stay
     * valid only during the call. The buffer's count must say who holds it: when the run ends as its
     * only holder, the buffer itself is written with its indices set to the run, so a buffer shared
     * without a count of its own (an unreleasable or static one) must not be written here.
     */
    public void write(ByteBuf buffer, int index, int length) {
        if (buffer == runBuffer && index == runEnd) {
            runEnd += length;
            return;
        }
        writeRun();
        runBuffer = buffer.retain();
        runStart = index;
        runEnd = index + length;
    }

    /**
     * Writes a frame and releases it; a frame made by {@link Frame#of} joins the run when it follows
     * it in the same buffer.
     */
    public void write(Frame frame) {
        ByteBuf source = frame.source();
        if (source == null) {
            write(frame.content());
            return;
        }
        try {
            write(source, frame.sourceIndex(), frame.content().readableBytes());
        } finally {
            frame.release();
        }
    }

    /** Writes a buffer the caller owns, after any pending run; the channel releases it. */
    public void write(ByteBuf message) {
        writeRun();
        channel.write(message, channel.voidPromise());
    }

    /** Writes the pending run, if any, without flushing; true when there was one. */
    public boolean writeRun() {
        ByteBuf buffer = runBuffer;
        if (buffer == null) {
            return false;
        }
        runBuffer = null;
        if (buffer.refCnt() == 1) {
            // The run's retain is the only one left (its reader is done with the buffer), so no one
            // else reads it: the buffer itself goes, bounded to the run, and no slice is made.
            channel.write(buffer.setIndex(runStart, runEnd), channel.voidPromise());
        } else {
            // A plain slice shares the buffer's count: the run's one retain goes with it to the channel.
            channel.write(buffer.slice(runStart, runEnd - runStart), channel.voidPromise());
        }
        return true;
    }

    public void flush() {
        writeRun();
        channel.flush();
    }

    /** Drops the pending run: the channel has closed. */
    public void discard() {
        ByteBuf buffer = runBuffer;
        if (buffer != null) {
            runBuffer = null;
            buffer.release();
        }
    }
}
