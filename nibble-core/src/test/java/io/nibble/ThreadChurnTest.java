package io.nibble;

import org.junit.jupiter.api.Test;

import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Epoch slots belong to operations, so neither thread churn nor virtual threads can exhaust them. */
class ThreadChurnTest {

    @Test
    void thousandsOfShortLivedPlatformThreads() throws Exception {
        try (Nibble store = Nibble.builder().capacity(64L << 20).build()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int round = 0; round < 25; round++) {
                Thread[] threads = new Thread[200];
                for (int t = 0; t < threads.length; t++) {
                    final long id = round * 1000L + t;
                    threads[t] = Thread.ofPlatform().start(() -> {
                        try {
                            byte[] key = TestValues.key(id);
                            store.put(key, key);
                            assertArrayEquals(key, store.get(key));
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                }
                for (Thread t : threads) {
                    t.join();
                }
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            assertEquals(5000, store.size());
        }
    }

    @Test
    void hundredThousandVirtualThreads() {
        try (Nibble store = Nibble.builder().capacity(64L << 20).build()) {
            AtomicLong hits = new AtomicLong();
            try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 100_000; i++) {
                    final long id = i;
                    executor.submit(() -> {
                        byte[] key = TestValues.key(id % 20_000);
                        store.put(key, key);
                        if (store.get(key) != null) {
                            hits.incrementAndGet();
                        }
                    });
                }
            }
            assertEquals(100_000, hits.get());
            assertEquals(20_000, store.size());
            store.verify();
        }
    }
}
