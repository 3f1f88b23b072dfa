package dev.pgtenant.proxy.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import java.io.Flushable;
import java.io.IOException;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Hands log lines to a thread of its own, which writes them to the appenders attached to it, so
 * that a destination that does not drain (a paused terminal, a log collector that has fallen
 * behind) never holds up the event loops that log. While {@code queueSize} lines wait, further
 * lines are dropped, whatever their level, and the writer then logs a warning that counts them.
 *
 * <p>Logback's AsyncAppender does the same but wakes its writer for every line: under pgbench -C
 * its writer spent about 58 µs of CPU per login. While lines keep coming, this writer looks for them
 * every 100 ms and the threads that log make no system call; each look costs a wake-up, which is
 * most of what the writer costs: by hand at 400 logins a second, it spent 20 to 38 µs per login
 * looking every 10 ms, 6 to 9 looking every 100 ms (4 to 7 writing through a
 * {@link BatchedConsoleAppender}). A burst that fills half the queue wakes it before its 100 ms are
 * up. Once a look finds none it sleeps, and only the first line after that pause wakes it: an idle
 * proxy's writer would otherwise take a core's time slice 10 times a second from the relay,
 * PostgreSQL and the application.
 */
public final class BackgroundAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
        implements AppenderAttachable<ILoggingEvent> {

    private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();
    private final ConcurrentLinkedQueue<ILoggingEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    /** Lines ever put in the queue, and of them, on the writer's side, those taken and those written out. */
    private final AtomicLong queued = new AtomicLong();
    private long taken;
    private volatile long writtenOut;
    /** Set while the writer sleeps until woken; the line that finds it set wakes the writer. */
    private final AtomicBoolean asleep = new AtomicBoolean();
    private int queueSize = 8192;
    private int maxFlushTime = 2000;
    private long pollNanos = TimeUnit.MILLISECONDS.toNanos(100);
    private Thread writer;

    /** How many lines may wait for the writer before further lines are dropped. */
    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    /** How long, in milliseconds, the writer waits between looks while lines keep coming. */
    public void setPollMillis(int pollMillis) {
        this.pollNanos = TimeUnit.MILLISECONDS.toNanos(pollMillis);
    }

    /** How long, in milliseconds, stopping waits for the lines still waiting to be written. */
    public void setMaxFlushTime(int maxFlushTime) {
        this.maxFlushTime = maxFlushTime;
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        if (queueSize < 1) {
            addError("queueSize must be at least 1, not " + queueSize);
            return;
        }
        if (pollNanos < TimeUnit.MILLISECONDS.toNanos(1)) {
            addError("pollMillis must be at least 1, not " + TimeUnit.NANOSECONDS.toMillis(pollNanos));
            return;
        }
        if (!appenders.iteratorForAppenders().hasNext()) {
            addError("no appender to write to: add an <appender-ref> to " + getName());
            return;
        }
        // The field before the started flag, whose volatile write publishes it to stop()'s thread.
        writer = new Thread(this::writeUntilStopped, "pgtenant-log-writer");
        writer.setDaemon(true);
        super.start();
        writer.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        // The thread's name, the formatted message and the MDC, taken now, while they are this
        // thread's; before the queue's count, so that a failure here cannot keep a place in it.
        event.prepareForDeferredProcessing();
        int count = waiting.incrementAndGet();
        if (count > queueSize) {
            // Counted as dropped while still counted as waiting: the writer does not sleep while a
            // line is counted waiting, so it cannot go to sleep with this drop not yet told.
            dropped.incrementAndGet();
            waiting.decrementAndGet();
            return;
        }
        queue.offer(event);
        queued.incrementAndGet();
        if (count == Math.max(1, queueSize / 2)) {
            // A burst (every session of a failed backend ending at once) must not wait out the
            // writer's look and fill the queue meanwhile. A wake that finds the writer at work
            // only shortens its next look.
            LockSupport.unpark(writer);
        } else if (asleep.get() && asleep.compareAndSet(true, false)) {
            LockSupport.unpark(writer);
        }
    }

    private void writeUntilStopped() {
        while (isStarted()) {
            boolean wrote = writeWaiting();
            // An appender may leave the interrupt flag set (PrintStream does, on an interrupted
            // write); parking would then return at once, every time, and spin.
            Thread.interrupted();
            if (wrote) {
                LockSupport.parkNanos(this, pollNanos);
            } else {
                sleepUntilALineComes();
            }
        }
        writeWaiting();
        // Here rather than in stop(): stopping an appender takes its write lock, which a write
        // stalled on its destination holds for as long as the stall lasts.
        appenders.detachAndStopAllAppenders();
    }

    /**
     * The flag is set before the count of waiting lines is looked at again, and a line is counted
     * before its thread looks at the flag: either this sees the count, or the line's thread sees the
     * flag and wakes this (a wake that comes before the park makes the park return at once). stop()
     * wakes it too.
     */
    private void sleepUntilALineComes() {
        asleep.set(true);
        if (waiting.get() == 0 && isStarted()) {
            LockSupport.park(this);
        }
        asleep.set(false);
    }

    /**
     * Writes the lines waiting when it starts and has them written out, then says how many were
     * dropped, also while that write-out stalled: under a load that keeps the queue full, the warning
     * still comes within one queue's worth of lines. Returns whether any line was counted waiting,
     * also one whose thread has not put it in the queue yet: the writer then looks again in 100 ms,
     * where sleeping until woken would skip its park for that count and spin.
     */
    private boolean writeWaiting() {
        int count = waiting.get();
        boolean wrote = count > 0;
        for (; count > 0; count--) {
            ILoggingEvent event = queue.poll();
            if (event == null) {
                break;
            }
            waiting.decrementAndGet();
            taken++;
            appenders.appendLoopOnAppenders(event);
        }
        if (wrote) {
            flushAppenders();
            writtenOut = taken;
        }
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            LoggingEvent notice = new LoggingEvent(BackgroundAppender.class.getName(),
                    ((LoggerContext) getContext()).getLogger(BackgroundAppender.class), Level.WARN,
                    lost + " log line(s) were dropped: " + queueSize + " were already waiting for a destination"
                            + " that did not take them fast enough. Make the destination keep up, or log less"
                            + " (at WARN, the logger dev.pgtenant.proxy.session.ClientSession no longer logs every"
                            + " session's end)",
                    null, null);
            notice.prepareForDeferredProcessing();
            appenders.appendLoopOnAppenders(notice);
            flushAppenders();
        }
        return wrote;
    }

    /** Appenders that buffer lines (see BatchedConsoleAppender) write them out once a batch. */
    private void flushAppenders() {
        for (Iterator<Appender<ILoggingEvent>> it = appenders.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof Flushable appender) {
                try {
                    appender.flush();
                } catch (IOException | RuntimeException e) {
                    // Caught here as doAppend catches an append's failure: the writer must go on.
                    addError("could not write out the log lines of " + getName(), e);
                }
            }
        }
    }

    /**
     * Wakes the writer and waits, up to maxFlushTime, until the lines the calling thread has logged
     * are written out: for a message printed straight to standard error, such as the command line's
     * error, to come after the lines that led up to it. Lines other threads are logging at the same
     * moment may still be on their way. Returns whether the lines were written in time.
     */
    public boolean awaitWritten() {
        long target = queued.get();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxFlushTime);
        LockSupport.unpark(writer);
        while (writtenOut < target) {
            if (!isStarted() || System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    /** The writer thread, for tests that watch whether it sleeps. */
    Thread writer() {
        return writer;
    }

    /**
     * Waits up to maxFlushTime for the waiting lines to be written. Lines logged from here on are
     * not written: stop logging after everything else has stopped.
     */
    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        LockSupport.unpark(writer);
        try {
            writer.join(maxFlushTime);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void addAppender(Appender<ILoggingEvent> appender) {
        appenders.addAppender(appender);
    }

    @Override
    public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
        return appenders.iteratorForAppenders();
    }

    @Override
    public Appender<ILoggingEvent> getAppender(String name) {
        return appenders.getAppender(name);
    }

    @Override
    public boolean isAttached(Appender<ILoggingEvent> appender) {
        return appenders.isAttached(appender);
    }

    @Override
    public void detachAndStopAllAppenders() {
        appenders.detachAndStopAllAppenders();
    }

    @Override
    public boolean detachAppender(Appender<ILoggingEvent> appender) {
        return appenders.detachAppender(appender);
    }

    @Override
    public boolean detachAppender(String name) {
        return appenders.detachAppender(name);
    }
}
