package io.nibble.epoch;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpochTableTest {

    @Test
    void aStampIsSafeOnlyOnceEveryOlderPinHasLeft() {
        EpochTable epochs = new EpochTable(16);
        int old = epochs.pin(0);
        long stamp = epochs.advance();
        assertFalse(epochs.isSafe(stamp), "a pin older than the stamp must hold it back");
        int newer = epochs.pin(0);
        assertTrue(epochs.oldestPinned() < stamp);
        epochs.unpin(old);
        assertTrue(epochs.isSafe(stamp), "a pin taken after the advance does not hold the stamp back");
        assertFalse(epochs.isQuiescent());
        epochs.unpin(newer);
        assertTrue(epochs.isQuiescent());
        assertEquals(Long.MAX_VALUE, epochs.oldestPinned());
    }

    @Test
    void concurrentPinsGetDistinctSlotsAndTheTableNeverRunsOut() {
        EpochTable epochs = new EpochTable(16);
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < epochs.slotCount(); i++) {
            int s = epochs.pin(i & 1);
            assertFalse(slots.contains(s), "slot leased twice: " + s);
            slots.add(s);
        }
        assertEquals(epochs.slotCount(), epochs.pinnedCount());
        for (int s : slots) {
            epochs.unpin(s);
        }
        assertEquals(0, epochs.pinnedCount());
    }

    /** Slots belong to operations, not threads: thousands of short-lived threads cannot exhaust the table. */
    @Test
    void thousandsOfShortLivedPlatformThreadsReuseSlots() throws Exception {
        EpochTable epochs = new EpochTable(16);
        AtomicLong operations = new AtomicLong();
        for (int round = 0; round < 20; round++) {
            Thread[] ts = new Thread[100];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 10; i++) {
                        int slot = epochs.pin((int) Thread.currentThread().threadId());
                        try {
                            operations.incrementAndGet();
                        } finally {
                            epochs.unpin(slot);
                        }
                    }
                });
            }
            for (Thread t : ts) {
                t.join();
            }
        }
        assertEquals(20_000, operations.get());
        assertTrue(epochs.isQuiescent());
    }

    @Test
    void hundredThousandVirtualThreadsShareTheTable() {
        EpochTable epochs = new EpochTable(16);
        AtomicLong operations = new AtomicLong();
        try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 100_000; i++) {
                final int n = i;
                executor.submit(() -> {
                    int slot = epochs.pin(n);
                    try {
                        operations.incrementAndGet();
                        if (n % 64 == 0) {
                            Thread.yield(); // an unmount while pinned must not strand or share the slot
                        }
                    } finally {
                        epochs.unpin(slot);
                    }
                });
            }
        }
        assertEquals(100_000, operations.get());
        assertTrue(epochs.isQuiescent());
    }

    /**
     * The reclamation promise: once a stamp is safe, no reader that could have seen the object before it was
     * unlinked is still running. Readers record which generation they saw; the reclaimer poisons a generation
     * only after its stamp is safe; a reader that finds its generation poisoned before it unpins fails the test.
     */
    @Test
    void reclaimerNeverFreesWhatAPinnedReaderCanSee() throws Exception {
        EpochTable epochs = new EpochTable(16);
        int generations = 3_000;
        long[] poisoned = new long[generations + 1];
        AtomicLong published = new AtomicLong(0);
        AtomicLong violations = new AtomicLong();
        Thread[] readers = new Thread[2];
        for (int r = 0; r < readers.length; r++) {
            final int cpu = r;
            readers[r] = Thread.ofPlatform().start(() -> {
                while (published.get() < generations) {
                    int slot = epochs.pin(cpu);
                    try {
                        int g = (int) published.get();
                        for (int i = 0; i < 50; i++) {
                            if (readPoison(poisoned, g) != 0) {
                                violations.incrementAndGet();
                            }
                        }
                    } finally {
                        epochs.unpin(slot);
                    }
                    Thread.yield(); // on two cores, leave the reclaimer room to run
                }
            });
        }
        for (int g = 1; g <= generations; g++) {
            published.set(g);              // unlink generation g-1: new readers see g
            long stamp = epochs.advance();
            while (!epochs.isSafe(stamp)) {
                Thread.onSpinWait();
            }
            writePoison(poisoned, g - 1);  // "free" it
        }
        for (Thread t : readers) {
            t.join();
        }
        assertEquals(0, violations.get(), "a reader saw its generation freed while pinned");
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);

    private static long readPoison(long[] a, int i) {
        return (long) LONGS.getVolatile(a, i);
    }

    private static void writePoison(long[] a, int i) {
        LONGS.setVolatile(a, i, 1L);
    }
}
