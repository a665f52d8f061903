package io.nibble.index;

import io.nibble.epoch.EpochTable;
import io.nibble.log.LogMemory;
import io.nibble.log.RecordLayout;
import io.nibble.memory.Region;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keys chosen to collide in one subtable and a few buckets, so that bucket chains and the overflow pools fill up:
 * a resize must still move every bucket, whatever inserts into the successor took from its pool meanwhile.
 */
class IndexOverflowTest {
    private static final int KEY_BYTES = 16;
    private static final int RECORD_BYTES = 48;
    private static final int BLOCK_SIZE = 1 << 20;

    private Region region;
    private LogMemory log;
    private HashIndex index;
    private final AtomicLong nextRecord = new AtomicLong();

    @BeforeEach
    void open() {
        region = Region.anonymous(8L * BLOCK_SIZE);
        log = new LogMemory(region, BLOCK_SIZE);
        index = new HashIndex(1, 42, log, new EpochTable(16));
        assertEquals(16, index.subtable(0).current().buckets(), "the test assumes 16-bucket subtables");
    }

    @AfterEach
    void close() {
        index.close();
        region.close();
    }

    /** Keys whose hash falls in subtable 0 and in the buckets {@code lowBits} picks in arrays of up to 32 buckets. */
    private List<byte[]> keys(String prefix, int lowBits, int count) {
        List<byte[]> keys = new ArrayList<>(count);
        for (long i = 0; keys.size() < count; i++) {
            byte[] key = ByteBuffer.allocate(KEY_BYTES).putInt(prefix.hashCode()).putLong(i).putInt(lowBits).array();
            long h = index.hash(key);
            if ((h >>> (64 - HashIndex.SUBTABLE_BITS)) == 0 && (h & 31) == lowBits) {
                keys.add(key);
            }
        }
        return keys;
    }

    /** Appends a record holding only {@code key} (no value) and returns its address. */
    private long record(byte[] key) {
        long offset = nextRecord.getAndAdd(RECORD_BYTES);
        long address = log.address((int) (offset / BLOCK_SIZE), (int) (offset % BLOCK_SIZE));
        log.putLong(address, RecordLayout.meta(0, KEY_BYTES, 0));
        log.write(address + RecordLayout.HEADER, key, KEY_BYTES);
        return address;
    }

    /** One insert attempt without helping a resize; false when the chain cannot grow. */
    private boolean tryInsert(byte[] key, long address) {
        long h = index.hash(key);
        BucketArray a = index.lockWithoutHelping(h);
        boolean inserted;
        try {
            assertEquals(-1, index.slotOf(a, h, HashIndex.tag(h), key), "key inserted twice");
            inserted = index.insert(a, h, HashIndex.tag(h), address);
        } finally {
            index.unlock(a, h);
        }
        if (inserted) {
            index.maybeGrow(h);
        }
        return inserted;
    }

    /** Inserts as the store does: on a full chain, make room and retry. */
    private void insert(byte[] key, long address, boolean help) {
        long h = index.hash(key);
        for (int attempt = 0; ; attempt++) {
            assertTrue(attempt < 8, "insert still refused after making room " + attempt + " times");
            BucketArray a = help ? index.lock(h) : index.lockWithoutHelping(h);
            boolean inserted;
            try {
                inserted = index.insert(a, h, HashIndex.tag(h), address);
            } finally {
                index.unlock(a, h);
            }
            if (inserted) {
                index.maybeGrow(h);
                return;
            }
            index.makeRoom(h);
        }
    }

    private long addressOf(byte[] key) {
        long h = index.hash(key);
        BucketArray a = index.lockWithoutHelping(h);
        try {
            long slot = index.slotOf(a, h, HashIndex.tag(h), key);
            return slot < 0 ? -1 : index.addressAt(a, slot);
        } finally {
            index.unlock(a, h);
        }
    }

    private void assertIndexHoldsExactly(List<byte[]> keys, List<Long> addresses) {
        for (int i = 0; i < keys.size(); i++) {
            assertEquals(addresses.get(i), addressOf(keys.get(i)), "key " + i + " lost or moved");
        }
        assertEquals(keys.size(), index.size());
        Set<Long> seen = new HashSet<>();
        List<Long> duplicates = new ArrayList<>();
        index.forEachAddress(address -> {
            if (!seen.add(address)) {
                duplicates.add(address);
            }
        });
        assertEquals(List.of(), duplicates, "a resize copied an entry twice");
        assertEquals(new HashSet<>(addresses), seen);
    }

    @Test
    void aResizeMovesAFullChainAfterInsertsUsedUpTheSuccessorsOwnPool() {
        List<byte[]> keys = new ArrayList<>();
        List<Long> addresses = new ArrayList<>();

        // One chain of the 16-bucket array, filled until its overflow pool is gone; the array gets a successor.
        int heavy = 0;
        for (byte[] key : keys("heavy", 15, 200)) {
            long address = record(key);
            if (!tryInsert(key, address)) {
                break;
            }
            keys.add(key);
            addresses.add(address);
            heavy++;
        }
        assertEquals(BucketArray.ENTRIES * (1 + 16), heavy);
        BucketArray old = index.subtable(0).current();
        assertTrue(old.successor() != null, "a full array starts a resize");

        // Move bucket 0 only, then insert into the successor's bucket 0 until inserts may take no more overflow.
        index.helpResizes(1);
        int light = 0;
        for (byte[] key : keys("light", 0, 300)) {
            long address = record(key);
            if (!tryInsert(key, address)) {
                break;
            }
            keys.add(key);
            addresses.add(address);
            light++;
        }
        assertEquals(BucketArray.ENTRIES * (1 + 32), light, "inserts stop at the successor's own pool");
        assertEquals(old, index.subtable(0).current(), "the resize is still running");

        // The heavy chain still has to move into the successor, whose own pool is gone.
        long h = index.hash(keys.get(heavy));
        index.makeRoom(h);
        assertNull(index.subtable(0).current().successor());
        assertTrue(index.subtable(0).current() != old, "the resize completed");
        assertIndexHoldsExactly(keys, addresses);

        // Growth goes on as usual afterwards.
        for (byte[] key : keys("more", 0, 400)) {
            long address = record(key);
            insert(key, address, true);
            keys.add(key);
            addresses.add(address);
        }
        assertIndexHoldsExactly(keys, addresses);
        assertTrue(index.resizes() >= 3, "resizes: " + index.resizes());
    }

    @Test
    void collidingInsertsFromManyThreadsSurviveRepeatedResizes() throws Exception {
        int threads = 4;
        int perThread = 1500;
        List<List<byte[]>> keys = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            // Two bucket patterns shared by all threads: long chains, contended locks, and resizes on every path.
            keys.add(keys("thread" + t, (t & 1) * 7, perThread));
        }
        long[][] addresses = new long[threads][perThread];
        for (int t = 0; t < threads; t++) {
            for (int i = 0; i < perThread; i++) {
                addresses[t][i] = record(keys.get(t).get(i));
            }
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        // Alternate helping and non-helping writers, as single-key and multi-key writes do.
                        insert(keys.get(id).get(i), addresses[id][i], (i & 1) == 0);
                        if (i % 64 == 0) {
                            index.helpResizes(4);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join(60_000);
            assertFalse(w.isAlive(), "a writer is stuck");
        }
        if (failure.get() != null) {
            throw new AssertionError("writer failed", failure.get());
        }
        List<byte[]> all = new ArrayList<>();
        List<Long> allAddresses = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            all.addAll(keys.get(t));
            for (long a : addresses[t]) {
                allAddresses.add(a);
            }
        }
        assertIndexHoldsExactly(all, allAddresses);
    }
}
