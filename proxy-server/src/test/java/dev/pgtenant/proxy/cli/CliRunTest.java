package dev.pgtenant.proxy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A run left behind by a test that timed out makes the later runs fail soon, not each at its own timeout. */
class CliRunTest {

    @Test
    void aRunStillUnderWayInAnotherThreadFailsTheNextOneAfterTheWait() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread leftBehind = new Thread(() -> {
            CliRun.RUNNING.lock();
            try {
                held.countDown();
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                CliRun.RUNNING.unlock();
            }
        });
        leftBehind.start();
        try {
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
            long started = System.nanoTime();
            assertThatThrownBy(() -> CliRun.run(Duration.ofMillis(200), "", "--version"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("has not returned after 200 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("it waited first").isGreaterThanOrEqualTo(Duration.ofMillis(200));
        } finally {
            done.countDown();
            leftBehind.join(10_000);
        }
        assertThat(CliRun.run("", "--version").exitCode()).isZero();
    }
}
