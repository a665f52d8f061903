package io.nibble.server;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyLocksTest {
    @Test
    void versionsMoveOnWritesOnly() {
        KeyLocks locks = new KeyLocks();
        int s = locks.stripe("k".getBytes());
        long v0 = locks.version(s);
        locks.lockShared(s);
        locks.lockShared(s);
        locks.unlockShared(s, false);
        locks.unlockShared(s, false);
        assertEquals(v0, locks.version(s), "reads leave the version alone");
        locks.lockShared(s);
        locks.unlockShared(s, true);
        assertEquals(v0 + 1, locks.version(s));
        locks.lockExclusive(s);
        locks.unlockExclusive(s, true);
        assertEquals(v0 + 2, locks.version(s));
        locks.lockExclusive(s); // free again: both kinds of holder left nothing behind
        locks.unlockExclusive(s, false);
        assertEquals(v0 + 2, locks.version(s));
    }

    @Test
    void anExclusiveHolderKeepsSharedHoldersOutAndWaitsForThem() throws Exception {
        KeyLocks locks = new KeyLocks();
        int s = locks.stripe("k".getBytes());
        locks.lockShared(s);
        AtomicBoolean exclusive = new AtomicBoolean();
        CountDownLatch claimed = new CountDownLatch(1);
        Thread writer = Thread.ofPlatform().start(() -> {
            locks.lockExclusive(s);
            exclusive.set(true);
            claimed.countDown();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exclusive.set(false);
            locks.unlockExclusive(s, true);
        });
        assertFalse(claimed.await(100, TimeUnit.MILLISECONDS), "the exclusive lock waits for the shared holder");
        locks.unlockShared(s, false);
        assertTrue(claimed.await(5, TimeUnit.SECONDS));
        locks.lockShared(s);
        assertFalse(exclusive.get(), "a shared holder got in while the exclusive one held the stripe");
        locks.unlockShared(s, false);
        writer.join();
    }

    /**
     * Commands let in without stripes must all have left when {@link KeyLocks#guard} returns, and none may get in
     * until {@link KeyLocks#unguard}: otherwise an EXEC could run beside a command that takes no locks.
     */
    @Test
    void guardWaitsForUnguardedCommandsAndKeepsNewOnesOut() throws Exception {
        KeyLocks locks = new KeyLocks();
        java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong unguardedRuns = new java.util.concurrent.atomic.AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Thread[] workers = new Thread[3];
        for (int w = 0; w < workers.length; w++) {
            workers[w] = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    KeyLocks.Slot slot = locks.enterUnguarded();
                    if (slot != null) {
                        inside.incrementAndGet();
                        for (int spin = 0; spin < 50; spin++) {
                            Thread.onSpinWait();
                        }
                        inside.decrementAndGet();
                        locks.leaveUnguarded(slot);
                        unguardedRuns.incrementAndGet();
                    }
                }
            });
        }
        // On a busy machine the workers may not have started yet, and between two guards they may not get a turn:
        // wait for them, so that guards really fall among running commands.
        while (unguardedRuns.get() == 0) {
            Thread.onSpinWait();
        }
        long before = unguardedRuns.get();
        int violations = 0;
        for (int round = 0; round < 2_000; round++) {
            locks.guard();
            for (int check = 0; check < 20; check++) {
                if (inside.get() != 0) {
                    violations++;
                }
            }
            locks.unguard();
            long runs = unguardedRuns.get();
            long until = System.nanoTime() + 200_000;
            while (unguardedRuns.get() == runs && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
        }
        stop.set(true);
        for (Thread t : workers) {
            t.join();
        }
        assertEquals(0, violations, "unguarded commands ran while guarded");
        assertTrue(unguardedRuns.get() - before > 100, "commands ran unguarded between guards: "
                + (unguardedRuns.get() - before));
    }

    @Test
    void stripesAreSortedAndDistinct() {
        int[] marked = {KeyLocks.mark(9, false), KeyLocks.mark(3, false), KeyLocks.mark(9, true),
                KeyLocks.mark(1, false), KeyLocks.mark(3, false), KeyLocks.mark(7, true)};
        int n = KeyLocks.sortDistinct(marked, marked.length);
        assertEquals(4, n);
        assertArrayEquals(new int[] {KeyLocks.mark(1, false), KeyLocks.mark(3, false), KeyLocks.mark(7, true),
                KeyLocks.mark(9, true)}, java.util.Arrays.copyOf(marked, n), "a write mark survives the merge");
    }

    @Test
    void keySpecsFindTheKeyArguments() {
        byte[][] mset = {"MSET".getBytes(), "a".getBytes(), "1".getBytes(), "b".getBytes(), "2".getBytes()};
        KeySpec spec = CommandTable.lookup("MSET").keys();
        assertEquals(2, spec.keyCount(mset));
        assertEquals("b", new String(spec.key(mset, 1)));
        assertEquals(0, CommandTable.lookup("GET").keys().keyCount(new byte[][] {"GET".getBytes()}), "too short: no keys");
        assertEquals(3, CommandTable.lookup("DEL").keys().keyCount(new byte[][] {"DEL".getBytes(), {1}, {2}, {3}}));
        assertTrue(CommandTable.lookup("FLUSHALL").keys().everyKey());
        assertEquals(null, CommandTable.lookup("PING").keys());
        assertTrue(CommandTable.lookup("WATCH").keys().lockFree(), "WATCH only records versions");
    }
    /**
     * Stripes are shared by unrelated keys, so a WATCH breaks when a key on its stripe changes. The seed is fixed, so
     * the keys that TransactionTest and RedisConformanceTest expect to stay apart must be checked to do so once, here:
     * otherwise those tests would abort an EXEC that Redis runs, every time.
     */
    @Test
    void theKeysTransactionTestsWatchSitOnStripesOfTheirOwn() {
        KeyLocks locks = new KeyLocks();
        List<List<String>> groups = List.of(
                List.of("k0", "k1", "k2", "k3", "k4", "k5"),
                List.of("absent", "k", "a", "b", "c"),
                List.of("missing", "present", "counter", "elsewhere:1", "elsewhere:2", "elsewhere:3", "elsewhere:4",
                        "elsewhere:5"));
        for (List<String> keys : groups) {
            java.util.Map<Integer, String> seen = new java.util.HashMap<>();
            for (String key : keys) {
                String before = seen.put(locks.stripe(key.getBytes()), key);
                assertEquals(null, before, key + " shares a stripe with " + before);
            }
        }
        assertTrue(java.util.stream.IntStream.range(0, 10_000)
                .map(i -> locks.stripe(("key:" + i).getBytes())).distinct().count() > 7_000,
                "10,000 keys spread over most of the 16,384 stripes");
    }
}
