package io.nibble;

import org.junit.jupiter.api.RepeatedTest;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Operations racing {@code close()} either complete or throw {@link IllegalStateException}; unmapping waits for
 * them, so none touches freed memory (which would crash the JVM, not fail the test).
 */
class CloseRaceTest {

    @RepeatedTest(10)
    void operationsRacingCloseCompleteOrThrowIllegalState() throws Exception {
        Nibble store = Nibble.builder().capacity(32L << 20).updateMode(UpdateMode.APPEND).build();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        AtomicLong completed = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        CountDownLatch running = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            final SplittableRandom random = new SplittableRandom(t);
            threads.add(Thread.ofPlatform().start(() -> {
                running.countDown();
                byte[] value = new byte[700];
                for (int i = 0; ; i++) {
                    byte[] key = TestValues.key(random.nextInt(5000));
                    try {
                        switch (i % 4) {
                            case 0, 1 -> store.put(key, value);
                            case 2 -> store.get(key);
                            default -> store.delete(key);
                        }
                        completed.incrementAndGet();
                    } catch (IllegalStateException e) {
                        refused.incrementAndGet();
                        return;
                    } catch (Throwable e) {
                        unexpected.compareAndSet(null, e);
                        return;
                    }
                }
            }));
        }
        running.await();
        Thread.sleep(20);
        store.close();
        for (Thread t : threads) {
            t.join();
        }
        assertNull(unexpected.get(), () -> "unexpected: " + unexpected.get());
        assertTrue(completed.get() > 0);
        assertTrue(refused.get() == 4, "every worker must end with IllegalStateException");
    }
}
