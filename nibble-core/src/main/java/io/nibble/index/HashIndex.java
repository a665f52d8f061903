package io.nibble.index;

import io.nibble.epoch.EpochTable;
import io.nibble.log.LogMemory;
import io.nibble.log.RecordLayout;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The optimistic concurrent hash index: 2^8 subtables, each a {@link BucketArray} that grows on its own.
 *
 * <p>Hash bits: the top 8 pick the subtable, bits 32..47 are the entry's tag, and the low bits pick the bucket,
 * so a tag match is independent of the bucket and a key is confirmed by comparing the key stored in its record.
 * Keys of any length cost one 8-byte entry.
 *
 * <p>Growth is per subtable and incremental: a loaded array gets a successor of twice the buckets, and writers of
 * that subtable each move their own bucket plus a few more before writing (the compactors move the rest when
 * writes stop). A moved bucket is MOVED in the old array, so readers and writers follow the successor. When every
 * bucket has moved the successor becomes current and the old array is retired through the epoch table. No
 * operation ever waits for a whole table to move.
 *
 * <p>All methods must be called by a pinned thread: pinning is what keeps a retired array mapped.
 */
public final class HashIndex implements AutoCloseable {
    static final int SUBTABLE_BITS = 8;
    private static final int MIGRATE_PER_WRITE = 2;
    private static final int MIN_BUCKETS = 16;

    private final Subtable[] subtables = new Subtable[1 << SUBTABLE_BITS];
    private final long seed;
    private final LogMemory log;
    private final EpochTable epochs;
    private final ConcurrentLinkedQueue<Retired> retired = new ConcurrentLinkedQueue<>();
    private final AtomicLong resizes = new AtomicLong();

    /** One partition of the index; {@link #count} is the number of keys it holds. */
    public static final class Subtable {
        volatile BucketArray current;
        final AtomicLong count = new AtomicLong();

        Subtable(BucketArray initial) {
            this.current = initial;
        }

        public BucketArray current() {
            return current;
        }
    }

    private record Retired(BucketArray array, long stamp) { }

    /**
     * @param expectedKeys keys to size the first arrays for; they grow past it on demand
     */
    public HashIndex(long expectedKeys, long seed, LogMemory log, EpochTable epochs) {
        this.seed = seed;
        this.log = log;
        this.epochs = epochs;
        long perSubtable = Math.max(1, expectedKeys >>> SUBTABLE_BITS);
        long buckets = Math.max(MIN_BUCKETS, perSubtable * 10 / (BucketArray.ENTRIES * 7));
        int initial = (int) Math.min(1 << 24, Long.highestOneBit(buckets - 1) << 1);
        for (int i = 0; i < subtables.length; i++) {
            subtables[i] = new Subtable(new BucketArray(initial));
        }
    }

    /** Hash of a key given as a {@code byte[]} or a {@link MemorySegment}. */
    public long hash(Object key) {
        return KeyHash.hash(key, seed);
    }

    public long seed() {
        return seed;
    }

    public Subtable subtable(long hash) {
        return subtables[(int) (hash >>> (64 - SUBTABLE_BITS))];
    }

    public static long tag(long hash) {
        return BucketArray.tag(hash);
    }

    // ---------------------------------------------------------------- reads

    /**
     * Finds the record of {@code key} in the chain of {@code bucket} without locking. The result may be stale or
     * torn; the caller validates the bucket version after using it.
     *
     * @return the record address, or -1 when the chain holds no such key
     */
    public long find(BucketArray a, long bucket, long tag, Object key) {
        for (long b = bucket; b >= 0; b = a.next(b)) {
            for (int i = 0; i < BucketArray.ENTRIES; i++) {
                long e = a.entryAcquire(b + BucketArray.FIRST_ENTRY + 8L * i);
                if (e != 0 && BucketArray.tagOf(e) == tag) {
                    long address = BucketArray.addressOf(e);
                    if (keyMatches(address, key)) {
                        return address;
                    }
                }
            }
        }
        return -1;
    }

    private boolean keyMatches(long address, Object key) {
        long meta = log.getLong(address);
        long length = io.nibble.log.Bytes.length(key);
        if (RecordLayout.keyLength(meta) != length) {
            return false;
        }
        int header = RecordLayout.headerLength(RecordLayout.flags(meta));
        long keyAddress = log.offsetInBlock(address) + header < log.blockSize()
                ? address + header : log.advance(address, header);
        return log.equalsKey(keyAddress, key, length);
    }

    // ---------------------------------------------------------------- writes

    /**
     * Locks the bucket of {@code hash} for writing, following moves and helping a running resize first.
     *
     * @return the array whose bucket {@code a.bucketOf(hash)} the caller now holds; release with {@link #unlock}
     */
    public BucketArray lock(long hash) {
        Subtable st = subtable(hash);
        BucketArray a = st.current;
        if (a.successor() != null) {
            helpMigrate(st, a, a.bucketOf(hash), MIGRATE_PER_WRITE);
        }
        return lockWithoutHelping(hash);
    }

    /**
     * Locks the bucket of {@code hash} without helping a resize, for callers that already hold other bucket
     * locks: helping would lock buckets out of their order.
     */
    public BucketArray lockWithoutHelping(long hash) {
        BucketArray a = subtable(hash).current;
        for (int spins = 0; ; spins++) {
            long b = a.bucketOf(hash);
            long v = a.versionAcquire(b);
            if ((v & BucketArray.MOVED) != 0) {
                a = a.successor();
                continue;
            }
            if ((v & 1) == 0 && a.tryLock(b, v)) {
                return a;
            }
            backoff(spins);
        }
    }

    public void unlock(BucketArray a, long hash) {
        long b = a.bucketOf(hash);
        a.unlock(b, a.versionAcquire(b) - 1);
    }

    /**
     * The order in which a caller must take several bucket locks: by subtable, then by the hash's bits reversed.
     * A bucket holds the keys that share the hash's low bits, so its keys are contiguous in this order whatever the
     * array's size, and every thread takes any two buckets in the same order.
     */
    public static int compareLockOrder(long hashA, long hashB) {
        int bySubtable = Integer.compare((int) (hashA >>> (64 - SUBTABLE_BITS)), (int) (hashB >>> (64 - SUBTABLE_BITS)));
        return bySubtable != 0 ? bySubtable : Long.compareUnsigned(Long.reverse(hashA), Long.reverse(hashB));
    }

    /** Under the lock: the entry slot holding {@code key}, or -1. */
    public long slotOf(BucketArray a, long hash, long tag, Object key) {
        for (long b = a.bucketOf(hash); b >= 0; b = a.next(b)) {
            for (int i = 0; i < BucketArray.ENTRIES; i++) {
                long slot = b + BucketArray.FIRST_ENTRY + 8L * i;
                long e = a.entryAcquire(slot);
                if (e != 0 && BucketArray.tagOf(e) == tag && keyMatches(BucketArray.addressOf(e), key)) {
                    return slot;
                }
            }
        }
        return -1;
    }

    /** Under the lock: the record address held in {@code slot}. */
    public long addressAt(BucketArray a, long slot) {
        return BucketArray.addressOf(a.entryAcquire(slot));
    }

    /** Under the lock: points {@code slot} at {@code address}, visible to readers when the bucket unlocks. */
    public void set(BucketArray a, long slot, long tag, long address) {
        a.setEntry(slot, BucketArray.entry(tag, address));
    }

    /**
     * Under the lock: inserts a new key's entry.
     *
     * @return false when the subtable's overflow pool is exhausted; unlock, call {@link #makeRoom} and retry
     */
    public boolean insert(BucketArray a, long hash, long tag, long address) {
        long slot = freeSlot(a, a.bucketOf(hash), false);
        if (slot < 0) {
            return false;
        }
        a.setEntry(slot, BucketArray.entry(tag, address));
        subtable(hash).count.incrementAndGet();
        return true;
    }

    /** Under the lock: removes the entry in {@code slot}. */
    public void remove(BucketArray a, long hash, long slot) {
        a.setEntry(slot, 0L);
        subtable(hash).count.decrementAndGet();
    }

    private static long freeSlot(BucketArray a, long bucket, boolean moving) {
        long last = bucket;
        for (long b = bucket; b >= 0; b = a.next(b)) {
            for (int i = 0; i < BucketArray.ENTRIES; i++) {
                long slot = b + BucketArray.FIRST_ENTRY + 8L * i;
                if (a.entryAcquire(slot) == 0) {
                    return slot;
                }
            }
            last = b;
        }
        long fresh = a.grow(last, moving);
        return fresh < 0 ? -1 : fresh + BucketArray.FIRST_ENTRY;
    }

    /** After an insert, outside the lock: starts growing the key's subtable when it is loaded. */
    public void maybeGrow(long hash) {
        Subtable st = subtable(hash);
        BucketArray a = st.current;
        if (a.successor() == null && a.wantsGrowth(st.count.get())) {
            startGrowth(st, a);
        }
    }

    /** Outside the lock, after {@link #insert} failed: finishes any move and grows the key's subtable. */
    public void makeRoom(long hash) {
        Subtable st = subtable(hash);
        BucketArray a = st.current;
        if (a.successor() == null) {
            startGrowth(st, a);
        }
        finishMigration(st);
    }

    // ---------------------------------------------------------------- growth

    private void startGrowth(Subtable st, BucketArray a) {
        if (st.current != a || a.buckets >= (1 << 29)) {
            return;
        }
        BucketArray next = new BucketArray(a.buckets * 2);
        if (!a.setSuccessor(next)) {
            next.region().close();
        }
    }

    private void helpMigrate(Subtable st, BucketArray a, long ownBucket, int extra) {
        BucketArray next = a.successor();
        migrateBucket(st, a, next, ownBucket);
        for (int i = 0; i < extra; i++) {
            int c = a.migrateCursor.getAndIncrement();
            if (c >= a.buckets) {
                break;
            }
            migrateBucket(st, a, next, (long) c << 6);
        }
    }

    /** Moves every remaining bucket of a subtable's running resize. */
    private void finishMigration(Subtable st) {
        BucketArray a = st.current;
        BucketArray next = a.successor();
        if (next == null) {
            return;
        }
        for (int c = a.migrateCursor.getAndIncrement(); c < a.buckets; c = a.migrateCursor.getAndIncrement()) {
            migrateBucket(st, a, next, (long) c << 6);
        }
        // Buckets claimed by others may still be moving; wait for them (each is a short copy under a lock).
        for (int spins = 0; st.current == a; spins++) {
            backoff(spins);
        }
    }

    /** Moves every running resize forward a little; called by background threads. */
    public void helpResizes(int bucketsPerSubtable) {
        for (Subtable st : subtables) {
            BucketArray a = st.current;
            BucketArray next = a.successor();
            if (next == null) {
                continue;
            }
            for (int i = 0; i < bucketsPerSubtable; i++) {
                int c = a.migrateCursor.getAndIncrement();
                if (c >= a.buckets) {
                    break;
                }
                migrateBucket(st, a, next, (long) c << 6);
            }
        }
    }

    /** Completes every running resize (tests walk the index afterwards). */
    public void finishAllResizes() {
        for (Subtable st : subtables) {
            finishMigration(st);
        }
    }

    private void migrateBucket(Subtable st, BucketArray a, BucketArray next, long bucket) {
        long v;
        for (int spins = 0; ; spins++) {
            v = a.versionAcquire(bucket);
            if ((v & BucketArray.MOVED) != 0) {
                return;
            }
            if ((v & 1) == 0 && a.tryLock(bucket, v)) {
                break;
            }
            backoff(spins);
        }
        // The successor's buckets b and b + a.buckets receive entries only from this bucket, and nobody reads or
        // writes them before MOVED is published below, so they are filled without their own locks.
        for (long b = bucket; b >= 0; b = a.next(b)) {
            for (int i = 0; i < BucketArray.ENTRIES; i++) {
                long e = a.entryAcquire(b + BucketArray.FIRST_ENTRY + 8L * i);
                if (e != 0) {
                    long h = hashOfRecordKey(BucketArray.addressOf(e));
                    long slot = freeSlot(next, next.bucketOf(h), true);
                    if (slot < 0) {
                        // Unreachable: the successor keeps enough of its pool for moves (see BucketArray).
                        a.unlock(bucket, v);
                        throw new IllegalStateException("index overflow pool exhausted while resizing");
                    }
                    next.setEntry(slot, e);
                }
            }
        }
        a.unlockMoved(bucket, v);
        if (a.migrated.incrementAndGet() == a.buckets) {
            st.current = next;
            resizes.incrementAndGet();
            retired.add(new Retired(a, epochs.advance()));
        }
    }

    private long hashOfRecordKey(long address) {
        long meta = log.getLong(address);
        int length = RecordLayout.keyLength(meta);
        long keyAddress = log.advance(address, RecordLayout.headerLength(RecordLayout.flags(meta)));
        byte[] key = new byte[length];
        log.read(keyAddress, key, 0, length);
        return KeyHash.hash(MemorySegment.ofArray(key), seed);
    }

    private static void backoff(int spins) {
        if (spins < 128) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    // ---------------------------------------------------------------- maintenance

    /** Bits of a scan cursor that hold the bucket; the subtable sits above them. */
    private static final int CURSOR_BUCKET_BITS = 40;

    /**
     * Visits the records of up to {@code buckets} buckets from {@code cursor} (see {@code Store.scan}). Each
     * bucket's chain is read under its lock, so the addresses handed out were all current at one moment.
     *
     * @return the next cursor, 0 at the end
     */
    public long scan(long cursor, int buckets, LongConsumer addresses) {
        int sub = (int) (cursor >>> CURSOR_BUCKET_BITS);
        long bucket = cursor & ((1L << CURSOR_BUCKET_BITS) - 1);
        long[] chain = new long[BucketArray.ENTRIES * 4];
        for (int visited = 0; sub < subtables.length && visited < buckets; ) {
            BucketArray a = subtables[sub].current;
            if (bucket >= a.buckets) {
                sub++;
                bucket = 0;
                continue;
            }
            chain = collect(a, bucket << 6, chain);
            for (int i = 1; i <= chain[0]; i++) {
                addresses.accept(chain[i]);
            }
            bucket++;
            visited++;
        }
        return sub >= subtables.length ? 0 : ((long) sub << CURSOR_BUCKET_BITS) | bucket;
    }

    /** The addresses in one bucket's chain (count first), following a move into the successor's two halves. */
    private long[] collect(BucketArray a, long bucket, long[] out) {
        int n = 0;
        for (int spins = 0; ; spins++) {
            long v = a.versionAcquire(bucket);
            if ((v & BucketArray.MOVED) != 0) {
                BucketArray next = a.successor();
                out = collect(next, bucket, out);
                long[] upper = collect(next, bucket + ((long) a.buckets << 6), new long[out.length]);
                long[] merged = java.util.Arrays.copyOf(out, (int) (out[0] + upper[0] + 1));
                System.arraycopy(upper, 1, merged, (int) out[0] + 1, (int) upper[0]);
                merged[0] = out[0] + upper[0];
                return merged;
            }
            if ((v & 1) == 0 && a.tryLock(bucket, v)) {
                try {
                    for (long b = bucket; b >= 0; b = a.next(b)) {
                        for (int i = 0; i < BucketArray.ENTRIES; i++) {
                            long e = a.entryAcquire(b + BucketArray.FIRST_ENTRY + 8L * i);
                            if (e != 0) {
                                if (n + 1 >= out.length) {
                                    out = java.util.Arrays.copyOf(out, out.length * 2);
                                }
                                out[++n] = BucketArray.addressOf(e);
                            }
                        }
                    }
                } finally {
                    a.unlock(bucket, v);
                }
                out[0] = n;
                return out;
            }
            backoff(spins);
        }
    }

    /** Unmaps retired arrays that no pinned operation can still read. Call unpinned. */
    public void reclaim() {
        for (Retired r = retired.peek(); r != null && epochs.isSafe(r.stamp()); r = retired.peek()) {
            if (retired.remove(r)) {
                r.array().region().close();
            }
        }
    }

    /** Subtable resizes completed since the index was created. */
    public long resizes() {
        return resizes.get();
    }

    public long size() {
        long n = 0;
        for (Subtable st : subtables) {
            n += st.count.get();
        }
        return n;
    }

    /** Off-heap bytes of the index the OS holds resident, or -1 when it cannot tell. */
    public long residentBytes() {
        long total = 0;
        for (Subtable st : subtables) {
            BucketArray a = st.current;
            for (BucketArray x = a; x != null; x = x.successor()) {
                long r = x.residentBytes();
                if (r < 0) {
                    return -1;
                }
                total += r;
            }
        }
        return total;
    }

    /** Bytes of buckets in use (main buckets plus overflow buckets taken), the computed fallback for residency. */
    public long bucketBytes() {
        long total = 0;
        for (Subtable st : subtables) {
            for (BucketArray x = st.current; x != null; x = x.successor()) {
                total += (long) (x.buckets + x.overflowUsed()) * BucketArray.BUCKET_BYTES;
            }
        }
        return total;
    }

    /** Calls {@code action} with every indexed record address. Only for a quiescent index. */
    public void forEachAddress(LongConsumer action) {
        finishAllResizes();
        for (Subtable st : subtables) {
            BucketArray a = st.current;
            for (int m = 0; m < a.buckets; m++) {
                for (long b = (long) m << 6; b >= 0; b = a.next(b)) {
                    for (int i = 0; i < BucketArray.ENTRIES; i++) {
                        long e = a.entryAcquire(b + BucketArray.FIRST_ENTRY + 8L * i);
                        if (e != 0) {
                            action.accept(BucketArray.addressOf(e));
                        }
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        for (Subtable st : subtables) {
            for (BucketArray x = st.current; x != null; x = x.successor()) {
                x.region().close();
            }
        }
        for (Retired r; (r = retired.poll()) != null; ) {
            r.array().region().close();
        }
    }
}
