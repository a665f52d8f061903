package io.nibble;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many threads put, get, delete and overwrite at random, sharing a few hot keys, with live data at 85-90% of
 * capacity so compaction runs throughout. Every value checks itself: readers fail the test on a torn or foreign
 * value. At the end, each owned key holds exactly its last acknowledged value, each hot key holds the last value
 * written by one of the threads, and the store's invariants hold.
 */
class ConcurrentStressTest {
    private static final long CAPACITY = 48L << 20;
    private static final int WRITERS = 4;
    private static final int READERS = 2;
    private static final int HOT_KEYS = 16;
    private static final long DURATION_NANOS = Long.getLong("nibble.stress.seconds", 8) * 1_000_000_000L;

    @ParameterizedTest
    @EnumSource(UpdateMode.class)
    void checksummedValuesSurviveConcurrentChurnUnderCompaction(UpdateMode mode) throws Exception {
        long seed = TestValues.seed("ConcurrentStressTest[" + mode + "]");
        int meanValue = 1000;
        // Footprint per key is about value + 45 bytes. With every key present the keys would fill 93%; deletes
        // keep about 8% of them absent, so live data sits near 86%.
        int ownedPerWriter = (int) (CAPACITY * 93 / 100 / (meanValue + 45) / WRITERS);
        int keys = ownedPerWriter * WRITERS + HOT_KEYS;
        AtomicLong puts = new AtomicLong();
        AtomicLong fulls = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        // Last acknowledged state of each owned key: its version, or -1 when deleted or never written.
        long[] owned = new long[keys];
        java.util.Arrays.fill(owned, -1);
        // For hot keys: the last version each writer put (or -1 after its delete), per writer.
        AtomicReferenceArray<long[]> hotLast = new AtomicReferenceArray<>(HOT_KEYS);
        for (int h = 0; h < HOT_KEYS; h++) {
            long[] none = new long[WRITERS];
            java.util.Arrays.fill(none, Long.MIN_VALUE);
            hotLast.set(h, none);
        }
        try (Nibble store = Nibble.builder().capacity(CAPACITY).updateMode(mode).build()) {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                final int writer = w;
                final SplittableRandom random = new SplittableRandom(seed + w);
                threads.add(Thread.ofPlatform().name("writer-" + w).unstarted(() -> {
                    try {
                        start.await();
                        long version = 0;
                        long deadline = System.nanoTime() + DURATION_NANOS;
                        while (System.nanoTime() < deadline && failure.get() == null) {
                            boolean hot = random.nextInt(10) == 0;
                            int id = hot ? random.nextInt(HOT_KEYS)
                                    : HOT_KEYS + writer * ownedPerWriter + random.nextInt(ownedPerWriter);
                            int action = random.nextInt(100);
                            version++;
                            if (action < 8) {
                                store.delete(TestValues.key(id));
                                record(owned, hotLast, id, writer, -1);
                            } else {
                                int size = action < 80 ? meanValue : meanValue / 2 + random.nextInt(meanValue);
                                byte[] value = TestValues.value(id, version, size, random);
                                try {
                                    store.put(TestValues.key(id), value);
                                    puts.incrementAndGet();
                                    record(owned, hotLast, id, writer, version);
                                } catch (NibbleFullException e) {
                                    fulls.incrementAndGet(); // the key keeps its previous state
                                }
                            }
                            if (random.nextInt(4) == 0) {
                                byte[] v = store.get(TestValues.key(id));
                                if (v != null) {
                                    TestValues.check(id, v);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (int r = 0; r < READERS; r++) {
                final SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (r + 1)));
                threads.add(Thread.ofPlatform().name("reader-" + r).unstarted(() -> {
                    try {
                        start.await();
                        while (!stop.get() && failure.get() == null) {
                            int id = random.nextInt(4) == 0 ? random.nextInt(HOT_KEYS) : random.nextInt(keys);
                            byte[] v = store.get(TestValues.key(id));
                            if (v != null) {
                                TestValues.check(id, v);
                            }
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            start.countDown();
            for (int i = 0; i < WRITERS; i++) {
                threads.get(i).join();
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get(), () -> "seed " + seed + ": " + failure.get());

            NibbleStats stats = store.stats();
            System.out.printf("stress[%s]: %d puts, %d full, %d reads; %s%n", mode, puts.get(), fulls.get(),
                    reads.get(), stats);
            assertTrue(stats.compactedSegments() > 0 || mode == UpdateMode.IN_PLACE && stats.relocatedBytes() >= 0,
                    "compaction should have run: " + stats);
            if (mode == UpdateMode.APPEND) {
                assertTrue(stats.compactedSegments() > 0, "compaction should have run: " + stats);
            }
            assertTrue(fulls.get() * 100 < puts.get() + fulls.get(),
                    "more than 1% of puts met NibbleFullException: " + fulls.get() + " of " + (puts.get() + fulls.get()));
            double utilisation = (double) stats.liveBytes() / CAPACITY;
            assertTrue(utilisation > 0.83 && utilisation < 0.95,
                    "live data should sit near 85-90% of capacity: " + utilisation);

            for (int id = HOT_KEYS; id < keys; id++) {
                byte[] v = store.get(TestValues.key(id));
                if (owned[id] < 0) {
                    assertNull(v, "key " + id + " was deleted last");
                } else {
                    assertNotNull(v, "key " + id + " lost its last acknowledged value");
                    assertEquals(owned[id], TestValues.check(id, v), "key " + id + " holds a stale version");
                }
            }
            for (int h = 0; h < HOT_KEYS; h++) {
                long[] last = hotLast.get(h);
                byte[] v = store.get(TestValues.key(h));
                boolean anyDelete = false;
                boolean anyWrite = false;
                for (long x : last) {
                    anyDelete |= x == -1;
                    anyWrite |= x >= 0;
                }
                if (v == null) {
                    assertTrue(anyDelete || !anyWrite, "hot key " + h + " vanished without a delete");
                } else {
                    long version = TestValues.check(h, v);
                    boolean matches = false;
                    for (long x : last) {
                        matches |= x == version;
                    }
                    assertTrue(matches, "hot key " + h + " holds version " + version
                            + ", which is no writer's last put");
                }
            }
            String summary = store.verify();
            System.out.println("stress[" + mode + "] invariants: " + summary);
            assertEquals(store.size(), Long.parseLong(summary.substring(5, summary.indexOf(' '))));
        }
    }

    private static void record(long[] owned, AtomicReferenceArray<long[]> hotLast, int id, int writer, long version) {
        if (id < HOT_KEYS) {
            hotLast.get(id)[writer] = version; // each writer owns its own column
        } else {
            owned[id] = version;
        }
    }
}
