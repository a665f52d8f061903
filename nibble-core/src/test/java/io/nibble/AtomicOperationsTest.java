package io.nibble;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Single-key atomic operations: each reads, decides and writes with no other operation on the key in between. */
class AtomicOperationsTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void conditionalOperationsFollowTheirContracts() {
        try (Nibble store = Nibble.builder().capacity(32L << 20).build()) {
            byte[] k = bytes("k");
            assertTrue(store.putIfAbsent(k, bytes("a")));
            assertFalse(store.putIfAbsent(k, bytes("b")));
            assertArrayEquals(bytes("a"), store.get(k));
            assertFalse(store.replace(bytes("missing"), bytes("x")));
            assertFalse(store.contains(bytes("missing")));
            assertTrue(store.replace(k, bytes("c")));
            assertFalse(store.replace(k, bytes("wrong"), bytes("d")));
            assertTrue(store.replace(k, bytes("c"), bytes("d")));
            assertArrayEquals(bytes("d"), store.getAndPut(k, bytes("e")));
            assertNull(store.getAndPut(bytes("new"), bytes("n")));
            assertArrayEquals(bytes("e"), store.getAndDelete(k));
            assertNull(store.getAndDelete(k));
            assertArrayEquals(bytes("x1"), store.compute(k, v -> v == null ? bytes("x1") : null));
            assertNull(store.compute(k, v -> null));
            assertFalse(store.contains(k));
            assertNull(store.compute(k, v -> null), "computing null for an absent key leaves it absent");
            assertEquals(1, store.size());
            byte[] tooBig = new byte[(int) store.maxValueLength() + 1];
            assertThrows(IllegalArgumentException.class, () -> store.compute(bytes("new"), v -> tooBig));
            assertArrayEquals(bytes("n"), store.get(bytes("new")), "a rejected compute changes nothing");
            store.verify();
        }
    }

    /** Many threads race putIfAbsent on the same keys: exactly one wins each key, and its value stays. */
    @Test
    void putIfAbsentHasExactlyOneWinnerPerKey() throws Exception {
        try (Nibble store = Nibble.builder().capacity(32L << 20).build()) {
            int keys = 2000;
            int threads = 6;
            AtomicInteger[] winners = new AtomicInteger[keys];
            int[] winner = new int[keys];
            for (int i = 0; i < keys; i++) {
                winners[i] = new AtomicInteger();
            }
            CountDownLatch start = new CountDownLatch(1);
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                final int id = t;
                ts[t] = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int i = 0; i < keys; i++) {
                        if (store.putIfAbsent(TestValues.key(i), new byte[] {(byte) id})) {
                            winners[i].incrementAndGet();
                            winner[i] = id;
                        }
                    }
                });
            }
            start.countDown();
            for (Thread t : ts) {
                t.join();
            }
            for (int i = 0; i < keys; i++) {
                assertEquals(1, winners[i].get(), "key " + i);
                assertArrayEquals(new byte[] {(byte) winner[i]}, store.get(TestValues.key(i)));
            }
        }
    }

    /** INCR-style read-modify-write from many threads on hot keys loses no increment, while compaction runs. */
    @ParameterizedTest
    @EnumSource(UpdateMode.class)
    void concurrentIncrementsAreExact(UpdateMode mode) throws Exception {
        try (Nibble store = Nibble.builder().capacity(16L << 20).updateMode(mode).build()) {
            int counters = 8;
            int threads = 4;
            int perThread = 25_000;
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                final int id = t;
                ts[t] = Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < perThread; i++) {
                            // Values grow past their record now and then, so both modes append and compact.
                            byte[] key = TestValues.key((i + id) % counters);
                            store.compute(key, v -> {
                                long n = v == null ? 0 : ByteBuffer.wrap(v).getLong();
                                int pad = (int) ((n / 1000) % 50);
                                return ByteBuffer.allocate(8 + pad * 8).putLong(n + 1).array();
                            });
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            for (Thread t : ts) {
                t.join();
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            long total = 0;
            for (int c = 0; c < counters; c++) {
                total += ByteBuffer.wrap(store.get(TestValues.key(c))).getLong();
            }
            assertEquals((long) threads * perThread, total);
            store.verify();
        }
    }

    @Test
    void expiredKeysReadAsAbsentAndCompactionDropsThem() throws Exception {
        try (Nibble store = Nibble.builder().capacity(16L << 20).updateMode(UpdateMode.IN_PLACE).build()) {
            byte[] k = bytes("ttl");
            long now = System.currentTimeMillis();
            store.put(k, bytes("v"), now + 60_000);
            assertEquals(now + 60_000, store.expiresAt(k));
            assertTrue(store.contains(k));
            assertTrue(store.expireAt(k, 0));
            assertEquals(-1, store.expiresAt(k));
            assertEquals(-2, store.expiresAt(bytes("absent")));
            assertFalse(store.expireAt(bytes("absent"), now + 1000));
            store.put(k, bytes("gone"), now - 1);
            assertNull(store.get(k));
            assertFalse(store.contains(k));
            assertFalse(store.delete(k), "deleting an expired key reports it absent");
            assertThrows(IllegalArgumentException.class, () -> store.put(k, bytes("x"), -5));

            // Fill most of the store with keys that expire shortly, let them expire, then write as much again:
            // compaction must drop the expired records to make room.
            byte[] value = new byte[1000];
            int n = 12_000;
            long soon = System.currentTimeMillis() + 300;
            for (int i = 0; i < n; i++) {
                store.put(TestValues.key(i), value, soon);
            }
            assertEquals(1000, store.get(TestValues.key(0)).length);
            Thread.sleep(Math.max(0, soon - System.currentTimeMillis()) + 50);
            assertNull(store.get(TestValues.key(0)));
            for (int i = 0; i < n; i++) {
                store.put(TestValues.key(n + i), value);
            }
            NibbleStats stats = store.stats();
            assertEquals(0, stats.fullRejections());
            assertTrue(stats.keys() < 2L * n, "compaction should have dropped expired keys: " + stats);
            assertEquals(stats.keys() - n, stats.expiringKeys(), "the expired keys compaction left are counted");
            store.verify();
            for (int i = 0; i < n; i += 97) {
                assertNull(store.get(TestValues.key(i)));
                assertEquals(1000, store.get(TestValues.key(n + i)).length);
            }
            store.put(TestValues.key(-7), value, System.currentTimeMillis() - 1);
            long live = store.clear();
            assertEquals(n, live, "clear reports the keys that had not expired");
            assertEquals(0, store.size(), "clear removes expired keys too");
            assertEquals(0, store.stats().expiringKeys());
        }
    }

    @Test
    void aFullScanReturnsEveryKeyEvenWhileTheIndexGrows() throws Exception {
        try (Nibble store = Nibble.builder().capacity(128L << 20).build()) {
            int stable = 20_000;
            for (int i = 0; i < stable; i++) {
                store.put(TestValues.key(i), new byte[8]);
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 300_000; i++) {
                        byte[] key = ("churn-" + i).getBytes(StandardCharsets.US_ASCII);
                        store.put(key, new byte[8]);
                        if (i % 3 == 0) {
                            store.delete(("churn-" + (i / 2)).getBytes(StandardCharsets.US_ASCII));
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            Set<String> seen = new HashSet<>();
            long cursor = 0;
            int calls = 0;
            do {
                cursor = store.scan(cursor, 16, key -> seen.add(new String(key, StandardCharsets.US_ASCII)));
                calls++;
            } while (cursor != 0);
            writer.join();
            assertNull(failure.get(), () -> "failure: " + failure.get());
            for (int i = 0; i < stable; i++) {
                assertTrue(seen.contains("key-" + i), "scan missed a key present throughout: key-" + i);
            }
            assertTrue(calls > 1);
            assertTrue(store.stats().indexResizes() > 0, "the index should have grown during the scan");
        }
    }

    /**
     * Threads race putAllIfAbsent over overlapping random key sets. The successful calls must be disjoint and each
     * must own all of its keys; a lock-order bug would deadlock (and time out), a broken check would overlap.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void putAllIfAbsentIsAllOrNothingUnderContention() throws Exception {
        try (Nibble store = Nibble.builder().capacity(64L << 20).build()) {
            int keys = 3000;
            int threads = 4;
            java.util.List<int[]> winners = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                final java.util.SplittableRandom random = new java.util.SplittableRandom(t);
                final int id = t;
                ts[t] = Thread.ofPlatform().start(() -> {
                    try {
                        for (int call = 0; call < 3000; call++) {
                            int[] pick = new int[1 + random.nextInt(4)];
                            byte[][] k = new byte[pick.length][];
                            byte[][] v = new byte[pick.length][];
                            for (int i = 0; i < pick.length; i++) {
                                pick[i] = random.nextInt(keys);
                                k[i] = TestValues.key(pick[i]);
                                v[i] = ByteBuffer.allocate(8).putInt(id).putInt(call).array();
                            }
                            if (store.putAllIfAbsent(k, v)) {
                                int[] record = new int[pick.length + 2];
                                record[0] = id;
                                record[1] = call;
                                System.arraycopy(pick, 0, record, 2, pick.length);
                                winners.add(record);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            for (Thread t : ts) {
                t.join();
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            Set<Integer> owned = new HashSet<>();
            for (int[] w : winners) {
                Set<Integer> mine = new HashSet<>();
                for (int i = 2; i < w.length; i++) {
                    mine.add(w[i]);
                }
                for (int key : mine) {
                    assertTrue(owned.add(key), "key " + key + " written by two successful calls");
                    ByteBuffer value = ByteBuffer.wrap(store.get(TestValues.key(key)));
                    assertEquals(w[0], value.getInt(), "key " + key + " holds another call's value");
                    assertEquals(w[1], value.getInt());
                }
            }
            assertEquals(owned.size(), store.size(), "only successful calls wrote keys");
            assertTrue(winners.size() > 100);
            byte[][] pairKeys = {TestValues.key(-1), TestValues.key(-2), TestValues.key(-1)};
            byte[][] pairValues = {bytes("a"), bytes("b"), bytes("c")};
            store.putAll(pairKeys, pairValues);
            assertArrayEquals(bytes("c"), store.get(TestValues.key(-1)), "a key given twice takes its last value");
            store.verify();
        }
    }

    /**
     * A multi-key write whose keys all land in one bucket chain, longer than the chain can grow: inserts fail part
     * way, the index grows and the write is retried. The failed attempts must leave nothing behind, or the retried
     * putAllIfAbsent would find its own keys and refuse.
     */
    @Test
    void aMultiKeyWriteThatOverflowsItsBucketChainIsAllOrNothing() throws Exception {
        try (Nibble store = Nibble.builder().capacity(64L << 20).build()) {
            var storeField = Nibble.class.getDeclaredField("store");
            storeField.setAccessible(true);
            var indexField = Store.class.getDeclaredField("index");
            indexField.setAccessible(true);
            io.nibble.index.HashIndex index = (io.nibble.index.HashIndex) indexField.get(storeField.get(store));
            long buckets = index.subtable(0).current().buckets();
            // Keys of subtable 0 that share one bucket in arrays of up to 2 * buckets.
            int n = 1000;
            byte[][] keys = new byte[n][];
            byte[][] values = new byte[n][];
            for (long i = 0, found = 0; found < n; i++) {
                byte[] key = TestValues.key(i);
                long h = index.hash(key);
                if ((h >>> 56) == 0 && (h & (2 * buckets - 1)) == 0) {
                    keys[(int) found] = key;
                    values[(int) found] = ByteBuffer.allocate(16).putLong(i).putLong(~i).array();
                    found++;
                }
            }
            long resizes = index.resizes();
            assertTrue(store.putAllIfAbsent(keys, values), "refused because an earlier attempt left keys behind");
            assertTrue(index.resizes() >= resizes + 2, "the chain overflowed at least twice");
            assertEquals(n, store.size());
            for (int i = 0; i < n; i++) {
                assertArrayEquals(values[i], store.get(keys[i]), "key " + i);
            }
            assertFalse(store.putAllIfAbsent(keys, values));
            store.verify();
        }
    }

    /**
     * Writers replace groups of keys with putAll (every key of a group gets the same stamp) and remove whole groups
     * with deleteAll, while readers getAll a group: every read must see one stamp in all keys, or all keys absent.
     * Reading the keys one after another instead fails within a few thousand reads.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void getAllSeesMultiKeyWritesAndDeletesWhole() throws Exception {
        try (Nibble store = Nibble.builder().capacity(64L << 20).build()) {
            int groups = 8;
            int width = 4;
            byte[][][] keys = new byte[groups][width][];
            for (int g = 0; g < groups; g++) {
                for (int k = 0; k < width; k++) {
                    keys[g][k] = TestValues.key(g * 100L + k);
                }
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong wholeWrites = new java.util.concurrent.atomic.AtomicLong();
            List<Thread> threads = new java.util.ArrayList<>();
            for (int w = 0; w < 2; w++) {
                final java.util.SplittableRandom random = new java.util.SplittableRandom(w);
                final long writer = w;
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (long stamp = 0; !stop.get(); stamp++) {
                            int g = random.nextInt(groups);
                            if (random.nextInt(8) == 0) {
                                store.deleteAll(keys[g]);
                                continue;
                            }
                            // Values of different lengths, so in-place updates and appends both occur.
                            byte[] value = ByteBuffer.allocate(16 + random.nextInt(4) * 8)
                                    .putLong(writer).putLong(stamp).array();
                            byte[][] values = new byte[width][];
                            java.util.Arrays.fill(values, value);
                            store.putAll(keys[g], values);
                            wholeWrites.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (int r = 0; r < 2; r++) {
                final java.util.SplittableRandom random = new java.util.SplittableRandom(100 + r);
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        while (!stop.get()) {
                            byte[][] got = store.getAll(keys[random.nextInt(groups)]);
                            for (int k = 1; k < width; k++) {
                                if (!java.util.Arrays.equals(got[0], got[k])) {
                                    throw new AssertionError("getAll saw part of a multi-key write: key 0 = "
                                            + java.util.Arrays.toString(got[0]) + ", key " + k + " = "
                                            + java.util.Arrays.toString(got[k]));
                                }
                            }
                            reads.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < deadline && failure.get() == null
                    && (reads.get() < 200_000 || wholeWrites.get() < 200_000)) {
                Thread.sleep(10);
            }
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            assertNull(failure.get(), () -> "failure: " + failure.get());
            assertTrue(reads.get() > 1000 && wholeWrites.get() > 1000, reads + " reads, " + wholeWrites + " writes");
            byte[][] twice = {keys[0][0], keys[0][0], keys[0][1]};
            store.putAll(keys[0], new byte[][] {bytes("a"), bytes("b"), bytes("c"), bytes("d")});
            assertEquals(2, store.deleteAll(twice), "a key given twice counts once");
            assertArrayEquals(new byte[][] {null, null, bytes("c")},
                    store.getAll(new byte[][] {keys[0][0], keys[0][1], keys[0][2]}));
            boolean[] removed = new boolean[3];
            byte[][] some = {keys[0][0], keys[0][2], keys[0][3]};
            assertEquals(2, store.deleteAll(some, removed));
            assertArrayEquals(new boolean[] {false, true, true}, removed, "which keys had a record to remove");
            assertThrows(IllegalArgumentException.class, () -> store.deleteAll(some, new boolean[2]));
            store.verify();
        }
    }
}
