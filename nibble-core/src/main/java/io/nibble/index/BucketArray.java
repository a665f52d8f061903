package io.nibble.index;

import io.nibble.memory.Region;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One generation of a subtable's buckets: a power-of-two array of main buckets followed by a pool of overflow
 * buckets, in off-heap memory touched lazily.
 *
 * <pre>
 *  bucket (64 bytes, one cache line)
 *  0        8        16       24       32       40       48       56       64
 *  +--------+--------+--------+--------+--------+--------+--------+--------+
 *  |version | entry0 | entry1 | entry2 | entry3 | entry4 | entry5 |  link  |
 *  +--------+--------+--------+--------+--------+--------+--------+--------+
 *  version: MOVED:1 | counter:63   (odd counter = locked by a writer)
 *  entry:   tag:16 | address/8:48  (0 = empty; tag is never 0)
 *  link:    1 + index of the next overflow bucket in the pool, 0 = end of chain
 * </pre>
 *
 * <p>The version of a main bucket guards its whole chain. Writers make it odd with a CAS (acquire) and even again
 * with a release store; readers read it with acquire, read entries and records, then re-check it after an acquire
 * fence, retrying on any change. MOVED is set, with the lock released, once the bucket's entries have been copied
 * into the {@link #successor()}: from then on this bucket is read and written only there. Overflow buckets are
 * never reused while the array lives, so a reader following a stale link reads entries that validation rejects.
 *
 * <p>The overflow pool is split so that a resize can never run out of it. Inserts may take up to {@code buckets}
 * overflow buckets; only the move of a predecessor's buckets may take the rest, {@code 2 * buckets} more. That is
 * enough because a moved bucket's two successor chains are empty when the move fills them, so the move takes at
 * most one overflow bucket per six entries it copies, and a predecessor of {@code b} buckets holds at most
 * {@code 6 * (2b + M)} entries, where {@code M < 2b} is what its own move took: fewer than
 * {@code 2 * (2b) = 2 * buckets} overflow buckets in all. The pool is address space touched on first use.
 */
public final class BucketArray {
    public static final int BUCKET_BYTES = 64;
    public static final int ENTRIES = 6;
    static final int FIRST_ENTRY = 8;
    static final int LINK = 56;
    public static final long MOVED = 1L << 63;
    private static final int TAG_SHIFT = 48;
    private static final long ADDRESS_MASK = (1L << TAG_SHIFT) - 1;
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle SUCCESSOR;

    static {
        try {
            SUCCESSOR = MethodHandles.lookup().findVarHandle(BucketArray.class, "successor", BucketArray.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Region region;
    private final MemorySegment mem;
    final int buckets;
    final long mask;
    /** Overflow buckets inserts may take; a move may take up to {@link #overflowCapacity}. */
    private final int insertOverflowLimit;
    private final int overflowCapacity;
    private final AtomicInteger overflowUsed = new AtomicInteger();
    @SuppressWarnings("unused")
    private volatile BucketArray successor;
    /** Migration progress into the successor: buckets claimed and buckets done. */
    final AtomicInteger migrateCursor = new AtomicInteger();
    final AtomicInteger migrated = new AtomicInteger();

    BucketArray(int buckets) {
        if (Integer.bitCount(buckets) != 1) {
            throw new IllegalArgumentException("bucket count must be a power of two: " + buckets);
        }
        this.buckets = buckets;
        this.mask = buckets - 1;
        this.insertOverflowLimit = buckets;
        this.overflowCapacity = 3 * buckets;
        this.region = Region.anonymous((long) (buckets + overflowCapacity) * BUCKET_BYTES);
        this.mem = region.memory();
    }

    public int buckets() {
        return buckets;
    }

    public int overflowUsed() {
        return overflowUsed.get();
    }

    Region region() {
        return region;
    }

    public BucketArray successor() {
        return successor;
    }

    boolean setSuccessor(BucketArray next) {
        return SUCCESSOR.compareAndSet(this, (BucketArray) null, next);
    }

    /** Byte offset of the main bucket for {@code hash}. */
    public long bucketOf(long hash) {
        return (hash & mask) << 6;
    }

    static long tag(long hash) {
        long t = (hash >>> 32) & 0xFFFF;
        return t == 0 ? 1 : t;
    }

    static long entry(long tag, long address) {
        return (tag << TAG_SHIFT) | (address >>> 3);
    }

    static long tagOf(long entry) {
        return entry >>> TAG_SHIFT;
    }

    static long addressOf(long entry) {
        return (entry & ADDRESS_MASK) << 3;
    }

    public long versionAcquire(long bucket) {
        return (long) WORD.getAcquire(mem, bucket);
    }

    /** True when the version still equals {@code version} after the caller's reads (a seqlock validation). */
    public boolean validate(long bucket, long version) {
        VarHandle.acquireFence();
        return (long) WORD.getOpaque(mem, bucket) == version;
    }

    boolean tryLock(long bucket, long version) {
        return WORD.compareAndSet(mem, bucket, version, version + 1);
    }

    /**
     * Unlocks a bucket locked from even {@code version}: the next even version, whose release store publishes
     * every write made under the lock.
     */
    void unlock(long bucket, long version) {
        WORD.setRelease(mem, bucket, version + 2);
    }

    void unlockMoved(long bucket, long version) {
        WORD.setRelease(mem, bucket, (version + 2) | MOVED);
    }

    long entryAcquire(long slot) {
        return (long) WORD.getAcquire(mem, slot);
    }

    void setEntry(long slot, long value) {
        WORD.setRelease(mem, slot, value);
    }

    /** The bucket after {@code bucket} in its chain, or -1. */
    long next(long bucket) {
        long link = (long) WORD.getAcquire(mem, bucket + LINK);
        return link == 0 ? -1 : (buckets + link - 1) << 6;
    }

    /**
     * Appends a fresh overflow bucket to the chain ending at {@code last}; -1 when the pool is exhausted.
     *
     * @param moving true for the move of a predecessor's bucket, which may use the part of the pool kept for it
     */
    long grow(long last, boolean moving) {
        int limit = moving ? overflowCapacity : insertOverflowLimit;
        int index;
        do {
            // A CAS rather than an increment undone on failure, so failed inserts never make a move see a full pool.
            index = overflowUsed.get();
            if (index >= limit) {
                return -1;
            }
        } while (!overflowUsed.compareAndSet(index, index + 1));
        long bucket = (long) (buckets + index) << 6;
        WORD.setRelease(mem, last + LINK, (long) index + 1);
        return bucket;
    }

    /** True when the array is loaded enough to double. */
    boolean wantsGrowth(long keys) {
        return keys > (long) buckets * ENTRIES * 7 / 10 || overflowUsed.get() > insertOverflowLimit / 2;
    }

    long residentBytes() {
        return region.residentBytes();
    }

    long reservedBytes() {
        return region.byteSize();
    }
}
