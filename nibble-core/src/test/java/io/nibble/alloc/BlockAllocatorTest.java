package io.nibble.alloc;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockAllocatorTest {

    @Test
    void handsOutEveryBlockOnceAndStopsAtTheReserve() {
        BlockAllocator a = new BlockAllocator(100, 1000, 20, 4);
        BitSet seen = new BitSet();
        for (int i = 0; i < 980; i++) {
            int b = a.allocate(i % 4, false);
            assertTrue(b >= 100 && b < 1100, "block out of range: " + b);
            assertFalse(seen.get(b), "block handed out twice: " + b);
            seen.set(b);
        }
        assertEquals(-1, a.allocate(0, false), "ordinary allocation must stop at the reserve");
        assertEquals(20, a.freeBlocks());
        for (int i = 0; i < 20; i++) {
            int b = a.allocate(1, true);
            assertTrue(b >= 0, "compaction may use the reserve");
            assertFalse(seen.get(b));
            seen.set(b);
        }
        assertEquals(-1, a.allocate(1, true));
        assertEquals(1000, a.countAllocatedBits());
        assertEquals(1000, a.allocatedBlocks());
    }

    @Test
    void freedBlocksAreReusedAndDoubleFreeIsRejected() {
        BlockAllocator a = new BlockAllocator(0, 130, 0, 1);
        int b = a.allocate(0, false);
        a.free(b);
        assertThrows(IllegalStateException.class, () -> a.free(b));
        assertThrows(IllegalArgumentException.class, () -> a.free(500));
        for (int i = 0; i < 130; i++) {
            assertTrue(a.allocate(0, false) >= 0);
        }
        assertEquals(-1, a.allocate(0, false));
        assertEquals(0, a.freeBlocks());
    }

    @Test
    void rejectsBadSizes() {
        assertThrows(IllegalArgumentException.class, () -> new BlockAllocator(0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BlockAllocator(0, 10, 10, 1));
    }

    /** Many threads allocate and free at random; no block may ever be owned twice, and none may leak. */
    @Test
    void concurrentAllocateAndFreeNeverDoubleAllocates() throws Exception {
        int blocks = 4096;
        BlockAllocator a = new BlockAllocator(0, blocks, 64, 8);
        ConcurrentHashMap<Integer, Integer> owners = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            final int id = t;
            ts[t] = new Thread(() -> {
                int[] mine = new int[blocks];
                int held = 0;
                ThreadLocalRandom r = ThreadLocalRandom.current();
                try {
                    start.await();
                    for (int i = 0; i < 200_000; i++) {
                        if (held > 0 && (r.nextBoolean() || held == mine.length)) {
                            int k = r.nextInt(held);
                            int b = mine[k];
                            mine[k] = mine[--held];
                            if (owners.remove(b) == null) {
                                throw new AssertionError("freeing block " + b + " that nobody owned");
                            }
                            a.free(b);
                        } else {
                            int b = a.allocate(id, r.nextInt(4) == 0);
                            if (b >= 0) {
                                Integer previous = owners.putIfAbsent(b, id);
                                if (previous != null) {
                                    throw new AssertionError("block " + b + " owned by " + previous + " and " + id);
                                }
                                mine[held++] = b;
                            }
                        }
                    }
                    while (held > 0) {
                        int b = mine[--held];
                        owners.remove(b);
                        a.free(b);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts[t].start();
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertNull(failure.get(), () -> "worker failed: " + failure.get());
        assertEquals(blocks, a.freeBlocks());
        assertEquals(0, a.countAllocatedBits());
        assertTrue(owners.isEmpty());
    }
}
