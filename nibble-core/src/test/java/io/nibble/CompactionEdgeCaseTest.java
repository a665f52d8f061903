package io.nibble;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Compaction corner cases: records bigger than a segment, several workers per node, writes that fail half way. */
class CompactionEdgeCaseTest {

    /** Live records larger than half a segment live in segments of their own, and compaction still moves them. */
    @Test
    void recordsLargerThanASegmentAreRelocated() {
        try (Nibble store = Nibble.builder().capacity(24L << 20).updateMode(UpdateMode.APPEND).build()) {
            SplittableRandom random = new SplittableRandom(7);
            int bigKeys = 40;
            int smallKeys = 8000;
            byte[][] big = new byte[bigKeys][];
            for (int i = 0; i < bigKeys; i++) {
                big[i] = TestValues.value(i, 0, 200_000, random);
                store.put(TestValues.key(i), big[i]);
            }
            for (int round = 0; round < 12; round++) {
                for (int i = 0; i < smallKeys; i++) {
                    long id = bigKeys + i;
                    store.put(TestValues.key(id), TestValues.value(id, round, 1000, random));
                }
            }
            NibbleStats stats = store.stats();
            assertEquals(0, stats.fullRejections(), stats.toString());
            assertTrue(stats.compactedSegments() > 0, stats.toString());
            for (int i = 0; i < bigKeys; i++) {
                assertArrayEquals(big[i], store.get(TestValues.key(i)), "big key " + i);
            }
            store.verify();
        }
    }

    /** With several workers per node, one worker finding nothing to do while another runs is not "full". */
    @Test
    void severalCompactionThreadsPerNodeKeepWritersGoing() throws Exception {
        long capacity = 32L << 20;
        try (Nibble store = Nibble.builder().capacity(capacity).compactionThreads(3)
                .updateMode(UpdateMode.APPEND).build()) {
            int keys = (int) (capacity * 85 / 100 / 1040);
            byte[] value = new byte[1000];
            for (int i = 0; i < keys; i++) {
                store.put(TestValues.key(i), value);
            }
            AtomicLong fulls = new AtomicLong();
            AtomicLong puts = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] writers = new Thread[4];
            for (int w = 0; w < writers.length; w++) {
                final SplittableRandom random = new SplittableRandom(w);
                writers[w] = Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 60_000; i++) {
                            try {
                                store.put(TestValues.key(random.nextInt(keys)), value);
                                puts.incrementAndGet();
                            } catch (NibbleFullException e) {
                                fulls.incrementAndGet();
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            for (Thread t : writers) {
                t.join();
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            assertTrue(fulls.get() * 100 < puts.get(), fulls.get() + " of " + puts.get() + " puts met full");
            assertEquals(keys, store.size());
            store.verify();
        }
    }

    /** A value the store cannot read is refused before any space is taken, and the store stays consistent. */
    @Test
    void unreadableValuesAreRefusedBeforeAnythingChanges() throws Exception {
        try (Nibble store = Nibble.builder().capacity(32L << 20).build()) {
            byte[] key = TestValues.key(1);
            store.put(key, new byte[] {1, 2, 3});
            Arena closed = Arena.ofConfined();
            MemorySegment gone = closed.allocate(100);
            closed.close();
            assertThrows(IllegalStateException.class, () -> store.put(MemorySegment.ofArray(key), gone));
            try (Arena confined = Arena.ofConfined()) {
                MemorySegment mine = confined.allocate(100);
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                Thread other = Thread.ofPlatform().start(() -> {
                    try {
                        store.put(MemorySegment.ofArray(key), mine);
                    } catch (Throwable e) {
                        thrown.set(e);
                    }
                });
                other.join();
                assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
            }
            assertArrayEquals(new byte[] {1, 2, 3}, store.get(key));
            assertEquals(1, store.size());
            store.verify();
        }
    }
}
