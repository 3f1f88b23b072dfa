package dev.pgtenant.config.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an in-memory snapshot of a registry file and reloads it when the file changes, checking a
 * few times a second (the CLI replaces the file atomically, so a reload never sees half a write).
 * A file that fails to load leaves the last good snapshot in place and logs why.
 */
final class RegistryFileWatcher implements RegistryWatcher {

    private static final Logger log = LoggerFactory.getLogger(RegistryFileWatcher.class);

    private final RegistryFile file;
    private final AtomicReference<Registry> current;
    private final BiConsumer<Registry, Registry> onChange;
    private final ScheduledExecutorService timer;
    private Object lastSeen;
    private final AtomicInteger failedReloads = new AtomicInteger();

    RegistryFileWatcher(RegistryFile file, Duration interval, BiConsumer<Registry, Registry> onChange) {
        this.file = file;
        this.onChange = onChange;
        this.lastSeen = fingerprint();
        this.current = new AtomicReference<>(file.load());
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "pgtenant-registry-watch");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Registry get() {
        return current.get();
    }

    /** Looks at the file once; the timer calls it, and tests that need no timer. */
    void check() {
        Object seen = fingerprint();
        if (Objects.equals(seen, lastSeen)) {
            return;
        }
        lastSeen = seen;
        if ("missing".equals(seen)) {
            // Deploy tools replace a file by deleting it first: read as an empty registry, that moment
            // would end every session. The next version to appear is read as usual.
            log.warn("registry file {} is missing; keeping the previous version until it is back", file.path());
            return;
        }
        try {
            Registry next = file.load();
            Registry previous = current.getAndSet(next);
            log.info("registry {} reloaded: {} organizations, {} users", file.path(), next.organizations().size(),
                    next.users().size());
            onChange.accept(previous, next);
        } catch (RuntimeException e) {
            failedReloads.incrementAndGet();
            log.error("registry {} changed but cannot be loaded, keeping the previous version: {}", file.path(), e.getMessage());
        }
    }

    @Override
    public int failedReloads() {
        return failedReloads.get();
    }

    /** What tells a change: the file's identity, size and modification time. */
    private Object fingerprint() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file.path(), BasicFileAttributes.class);
            return java.util.List.of(String.valueOf(attributes.fileKey()), attributes.size(),
                    attributes.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            return "missing";
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
