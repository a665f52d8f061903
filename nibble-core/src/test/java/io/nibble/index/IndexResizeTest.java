package io.nibble.index;

import io.nibble.Nibble;
import io.nibble.NibbleStats;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Subtables grow one at a time and incrementally while readers and writers keep going: keys present before and
 * during the resizes are never missed, and every acknowledged insert is found afterwards.
 */
class IndexResizeTest {

    private static byte[] key(long i) {
        return ByteBuffer.allocate(12).putInt(0x4b455921).putLong(i).array();
    }

    private static byte[] value(long i) {
        return ByteBuffer.allocate(16).putLong(i).putLong(~i).array();
    }

    @Test
    void readersNeverMissAKeyWhileSubtablesResize() throws Exception {
        int preloaded = 20_000;
        int inserted = 400_000;
        try (Nibble store = Nibble.builder().capacity(128L << 20).build()) {
            for (int i = 0; i < preloaded; i++) {
                store.put(key(i), value(i));
            }
            NibbleStats before = store.stats();
            AtomicLong acknowledged = new AtomicLong(preloaded);
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong reads = new AtomicLong();
            CountDownLatch start = new CountDownLatch(1);
            Thread[] writers = new Thread[2];
            for (int w = 0; w < writers.length; w++) {
                final int offset = w;
                writers[w] = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (long i = preloaded + offset; i < preloaded + inserted; i += writers.length) {
                            store.put(key(i), value(i));
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            Thread[] readers = new Thread[2];
            for (int r = 0; r < readers.length; r++) {
                final long salt = r + 1;
                readers[r] = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        long x = salt;
                        while (!done.get()) {
                            x ^= x << 13;
                            x ^= x >>> 7;
                            x ^= x << 17;
                            long i = Math.floorMod(x, preloaded);
                            byte[] v = store.get(key(i));
                            if (v == null) {
                                throw new AssertionError("preloaded key " + i + " missed during a resize");
                            }
                            assertArrayEquals(value(i), v);
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            start.countDown();
            for (Thread t : writers) {
                t.join();
            }
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            acknowledged.addAndGet(inserted);
            NibbleStats after = store.stats();
            assertTrue(after.indexResizes() > before.indexResizes() + 100,
                    "subtables should have grown repeatedly: " + before.indexResizes() + " -> "
                            + after.indexResizes());
            assertTrue(reads.get() > 0);
            assertEquals(acknowledged.get(), store.size());
            for (long i = 0; i < preloaded + inserted; i++) {
                assertArrayEquals(value(i), store.get(key(i)), "key " + i);
            }
            for (long i = 0; i < preloaded + inserted; i += 2) {
                assertTrue(store.delete(key(i)));
            }
            assertEquals((preloaded + inserted) / 2, store.size());
            store.verify();
        }
    }
}
