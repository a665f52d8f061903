package io.nibble;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lazy expiry: whatever operation finds a key expired removes it there and then, as Redis does on access, so the key
 * leaves the count, its bytes count dead and it counts as expired, without waiting for the sweep or compaction.
 */
class LazyExpiryTest {

    /** Each way of looking a key up, with what it must answer for an expired key. */
    enum Lookup {
        GET((store, key) -> assertNull(store.get(key))),
        GET_INTO((store, key) -> {
            try (Arena arena = Arena.ofConfined()) {
                assertEquals(-1, store.get(key, arena.allocate(64)));
            }
        }),
        GET_MEMORY_SEGMENT_KEY((store, key) -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment k = arena.allocate(key.length);
                k.copyFrom(MemorySegment.ofArray(key));
                assertEquals(-1, store.get(k, arena.allocate(64)));
            }
        }),
        GET_ALL((store, key) -> assertNull(store.getAll(new byte[][] {TestValues.key(-1), key})[1])),
        CONTAINS((store, key) -> assertFalse(store.contains(key))),
        MEMORY_USAGE((store, key) -> assertEquals(-1, store.memoryUsage(key))),
        EXPIRES_AT((store, key) -> assertEquals(-2, store.expiresAt(key))),
        EXPIRE_AT((store, key) -> assertFalse(store.expireAt(key, System.currentTimeMillis() + 60_000)));

        final BiConsumer<Nibble, byte[]> lookUp;

        Lookup(BiConsumer<Nibble, byte[]> lookUp) {
            this.lookUp = lookUp;
        }
    }

    @ParameterizedTest
    @EnumSource(Lookup.class)
    void aLookupRemovesTheExpiredKeyItFinds(Lookup lookup) throws Exception {
        for (UpdateMode mode : UpdateMode.values()) {
            try (Nibble store = Nibble.builder().capacity(16L << 20).updateMode(mode).build()) {
                byte[] expiring = TestValues.key(1);
                store.put(TestValues.key(2), new byte[500]);
                long liveWithout = store.stats().liveBytes();
                store.put(expiring, new byte[500], System.currentTimeMillis() + 50);
                NibbleStats before = store.stats();
                Thread.sleep(80);
                assertEquals(2, store.size(), "nothing has looked at the key yet");

                lookup.lookUp.accept(store, expiring);

                NibbleStats after = store.stats();
                assertEquals(1, after.keys(), mode + ": the expired key left the index");
                assertEquals(1, after.expiredKeys() - before.expiredKeys(), mode + ": counted as expired once");
                assertEquals(0, after.expiringKeys(), mode.toString());
                assertEquals(liveWithout, after.liveBytes(), mode + ": its bytes are dead");
                lookup.lookUp.accept(store, expiring);
                assertEquals(1, store.stats().expiredKeys() - before.expiredKeys(), "a second look counts nothing");
                store.verify(); // throws naming the first broken invariant
            }
        }
    }

    /**
     * A writer puts a fresh value between an optimistic lookup finding the old one expired and the lookup's removal:
     * the removal must see the new expiry under the lock and keep the key. (Updates such as {@code expireAt} find
     * and remove the expired record under one lock, so nothing can come between.)
     */
    @ParameterizedTest
    @EnumSource(value = Lookup.class, names = {"GET", "GET_INTO", "GET_MEMORY_SEGMENT_KEY", "GET_ALL", "CONTAINS",
            "MEMORY_USAGE"})
    void aValueWrittenAfterTheLookupSurvivesItsLazyExpiry(Lookup lookup) throws Exception {
        for (UpdateMode mode : UpdateMode.values()) {
            try (Nibble store = Nibble.builder().capacity(16L << 20).updateMode(mode).build()) {
                byte[] key = TestValues.key(7);
                store.put(key, new byte[100], System.currentTimeMillis() + 20);
                Thread.sleep(40);
                byte[] fresh = TestValues.value(7, 2, 100, new SplittableRandom(7));
                long expiredBefore = store.stats().expiredKeys();
                int[] hookRuns = {0};
                store.onExpiredRead(() -> {
                    hookRuns[0]++;
                    store.put(key, fresh, System.currentTimeMillis() + 60_000);
                });
                lookup.lookUp.accept(store, key); // asserts that it saw the key absent
                store.onExpiredRead(null);
                assertEquals(1, hookRuns[0], mode + ": the lookup found the key expired once");
                byte[] after = store.get(key);
                assertTrue(after != null, mode + ": the fresh value was removed");
                assertEquals(2, TestValues.check(7, after));
                assertEquals(1, store.stats().keys());
                // Written over after its expiry: the old record counts as expired, as a SET over an expired key does.
                assertEquals(1, store.stats().expiredKeys() - expiredBefore, mode.toString());
                store.verify(); // throws naming the first broken invariant
            }
        }
    }

    /**
     * Readers look up every writer's keys while the writers keep rewriting them with expiries a few milliseconds
     * away, so many reads find a key expired just as its writer puts a fresh value in the same record. The reader
     * must then keep the key: it reads the expiry again under the bucket lock. Each writer keeps a model of its keys
     * (checksummed values, versions, expiries), checks each key it touches against it first, and at the end every
     * key reads as its model says.
     */
    @ParameterizedTest
    @EnumSource(UpdateMode.class)
    void readsRaceWithWritersAndRemoveOnlyExpiredKeys(UpdateMode mode) throws Exception {
        long seed = TestValues.seed("LazyExpiryTest[" + mode + "]");
        try (Nibble store = Nibble.builder().capacity(32L << 20).updateMode(mode).build()) {
            int writers = 2;
            int readers = 2;
            int keysEach = 64;
            long[][] expiry = new long[writers][keysEach];
            long[][] version = new long[writers][keysEach]; // 0: never written or deleted
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            long end = System.currentTimeMillis() + 2_000;
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                SplittableRandom random = new SplittableRandom(seed + w);
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        long v = 0;
                        while (System.currentTimeMillis() < end) {
                            int k = random.nextInt(keysEach);
                            long id = (long) writer * keysEach + k;
                            byte[] key = TestValues.key(id);
                            long now = System.currentTimeMillis();
                            if (version[writer][k] != 0 && (expiry[writer][k] == 0 || expiry[writer][k] > now + 60_000)) {
                                // Only this writer writes the key, and its expiry is far: a reader must not remove it.
                                byte[] read = store.get(key);
                                if (read == null) {
                                    throw new AssertionError("key " + id + " was lost (expiry " + expiry[writer][k] + ")");
                                }
                                assertEquals(version[writer][k], TestValues.check(id, read), "key " + id);
                            }
                            switch (random.nextInt(8)) {
                                case 0, 1, 2, 3 -> {
                                    long at = random.nextInt(4) == 0 ? 0 : now + random.nextInt(1, 20);
                                    store.put(key, TestValues.value(id, ++v, 64, random), at);
                                    version[writer][k] = v;
                                    expiry[writer][k] = at;
                                }
                                case 4, 5 -> {
                                    long at = random.nextBoolean() ? 0 : now + 3_600_000;
                                    if (store.expireAt(key, at)) {
                                        expiry[writer][k] = at;
                                    }
                                }
                                case 6 -> {
                                    store.delete(key);
                                    version[writer][k] = 0;
                                }
                                default -> Thread.onSpinWait();
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (int r = 0; r < readers; r++) {
                SplittableRandom random = new SplittableRandom(seed - 1 - r);
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        while (writing.get()) {
                            long id = random.nextInt(writers * keysEach);
                            byte[] read = random.nextBoolean() ? store.get(TestValues.key(id))
                                    : store.getAll(new byte[][] {TestValues.key(id)})[0];
                            if (read != null) {
                                TestValues.check(id, read);
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            for (Thread t : threads.subList(0, writers)) {
                t.join(30_000);
                assertTrue(!t.isAlive(), "a writer is stuck");
            }
            writing.set(false);
            for (Thread t : threads) {
                t.join(30_000);
                assertTrue(!t.isAlive(), "a reader is stuck");
            }
            if (failure.get() != null) {
                throw new AssertionError("a thread failed", failure.get());
            }
            // Short expiries may pass while this runs: only keys that never expire or expire in an hour must be there.
            long soon = System.currentTimeMillis() + 60_000;
            long alive = 0;
            for (int w = 0; w < writers; w++) {
                for (int k = 0; k < keysEach; k++) {
                    long id = (long) w * keysEach + k;
                    if (version[w][k] == 0 || (expiry[w][k] != 0 && expiry[w][k] < soon)) {
                        continue;
                    }
                    byte[] read = store.get(TestValues.key(id));
                    assertTrue(read != null, "key " + id + " was lost (expiry " + expiry[w][k] + ")");
                    assertEquals(version[w][k], TestValues.check(id, read), "key " + id);
                    alive++;
                }
            }
            assertTrue(alive > keysEach / 4, "the model kept too few keys to test anything: " + alive);
            store.verify(); // throws naming the first broken invariant
        }
    }

    /** The mean expiry behind avg_ttl is summed in seconds; two billion far-off expiries must not overflow it. */
    @org.junit.jupiter.api.Test
    void theMeanExpiryOfManyDistantKeysDoesNotOverflow() {
        long opened = 1_800_000_000_000L;
        long count = 2_000_000_000L;
        long far = (1L << 32) - 1; // the clamp: about 136 years
        assertEquals(opened + far * 1000, Store.meanExpiryMillis(opened, far * count, count));
        assertEquals(opened + 1500, Store.meanExpiryMillis(opened, 3, 2), "to the millisecond of the mean");
        assertEquals(0, Store.meanExpiryMillis(opened, 0, 0));
    }
}
