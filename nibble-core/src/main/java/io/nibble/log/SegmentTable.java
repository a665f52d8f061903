package io.nibble.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Per-segment metadata, indexed by segment id: the block chain, where the data ends, state, age and the live-bytes
 * counter of the dissertation's SegmentInfo table.
 *
 * <p>Live bytes are the footprints of records the index references. They change only while the bucket lock of the
 * record's key is held (publish, replace, delete, relocate), with an atomic add on a counter padded to its own
 * cache line, so a segment whose records have all been relocated or killed reads exactly 0.
 *
 * <p>Ids are handed out under this table's monitor: opening and retiring a segment happens once per segment of
 * data written, far off the per-operation path.
 */
public final class SegmentTable {
    public static final int FREE = 0;
    /** Open for appends by a log head or a compactor. */
    public static final int OPEN = 1;
    /** Sealed; waiting for appenders that predate the seal to publish, then a compaction candidate. */
    public static final int CLOSED = 2;
    /** Being relocated by a compactor. */
    public static final int COMPACTING = 3;
    /** Unlinked; its blocks are freed once no pinned operation can still read them. */
    public static final int RETIRED = 4;

    private static final int LIVE_STRIDE = 8; // longs: one counter per 64-byte line
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);

    private final int capacity;
    private final long[] live;
    private final int[] firstBlock;
    private final int[] lastBlock;
    private final int[] blocks;
    private final int[] endBlock;
    private final int[] endOffset;
    private final int[] state;
    private final int[] node;
    private final long[] createdNanos;
    private final long[] closeStamp;
    private final long[] maxExpiry;
    /** Earliest expiry among the segment's records, or a later time once a sweep has removed those due before. */
    private final long[] minExpiry;
    private final long[] expiringBytes;
    private final int[] freeIds;
    private int freeTop;
    private int inUse;

    public SegmentTable(int capacity) {
        this.capacity = capacity;
        this.live = new long[(capacity + 1) * LIVE_STRIDE];
        this.firstBlock = new int[capacity];
        this.lastBlock = new int[capacity];
        this.blocks = new int[capacity];
        this.endBlock = new int[capacity];
        this.endOffset = new int[capacity];
        this.state = new int[capacity];
        this.node = new int[capacity];
        this.createdNanos = new long[capacity];
        this.closeStamp = new long[capacity];
        this.maxExpiry = new long[capacity];
        this.minExpiry = new long[capacity];
        this.expiringBytes = new long[capacity];
        this.freeIds = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            freeIds[i] = capacity - 1 - i;
        }
        this.freeTop = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** Takes a free id for a new open segment on {@code nodeId}, or -1 when every id is in use. */
    public synchronized int open(int nodeId) {
        if (freeTop == 0) {
            return -1;
        }
        int id = freeIds[--freeTop];
        inUse++;
        firstBlock[id] = -1;
        lastBlock[id] = -1;
        blocks[id] = 0;
        endBlock[id] = -1;
        endOffset[id] = 0;
        node[id] = nodeId;
        createdNanos[id] = System.nanoTime();
        closeStamp[id] = 0;
        maxExpiry[id] = 0;
        minExpiry[id] = Long.MAX_VALUE;
        expiringBytes[id] = 0;
        LONGS.setVolatile(live, liveIndex(id), 0L);
        INTS.setVolatile(state, id, OPEN);
        return id;
    }

    /** Returns a retired segment's id; its blocks have been freed. */
    public synchronized void release(int id) {
        if ((int) INTS.getVolatile(state, id) != RETIRED) {
            throw new IllegalStateException("segment " + id + " released in state " + state(id));
        }
        INTS.setVolatile(state, id, FREE);
        freeIds[freeTop++] = id;
        inUse--;
    }

    public synchronized int inUse() {
        return inUse;
    }

    private static int liveIndex(int id) {
        return (id + 1) * LIVE_STRIDE;
    }

    public long addLive(int id, long delta) {
        return (long) LONGS.getAndAdd(live, liveIndex(id), delta) + delta;
    }

    public long live(int id) {
        return (long) LONGS.getVolatile(live, liveIndex(id));
    }

    public int state(int id) {
        return (int) INTS.getVolatile(state, id);
    }

    public void setState(int id, int newState) {
        INTS.setVolatile(state, id, newState);
    }

    public boolean casState(int id, int expected, int newState) {
        return INTS.compareAndSet(state, id, expected, newState);
    }

    public int node(int id) {
        return node[id];
    }

    public int firstBlock(int id) {
        return firstBlock[id];
    }

    public int lastBlock(int id) {
        return lastBlock[id];
    }

    public int blocks(int id) {
        return blocks[id];
    }

    /** Records that {@code block} was appended to the chain of segment {@code id}. Called by its sole appender. */
    public void linkBlock(int id, int block) {
        if (firstBlock[id] < 0) {
            firstBlock[id] = block;
        }
        lastBlock[id] = block;
        blocks[id]++;
    }

    /** Seals a segment: data ends at {@code offset} in {@code block}; {@code stamp} is the epoch of the seal. */
    public void seal(int id, int block, int offset, long stamp) {
        endBlock[id] = block;
        endOffset[id] = offset;
        closeStamp[id] = stamp;
        INTS.setVolatile(state, id, CLOSED);
    }

    public int endBlock(int id) {
        return endBlock[id];
    }

    public int endOffset(int id) {
        return endOffset[id];
    }

    public long createdNanos(int id) {
        return createdNanos[id];
    }

    /**
     * Records that a record of {@code footprint} bytes expiring at {@code expireAtMillis} went into segment
     * {@code id}. Compaction treats the live expiring bytes of a segment whose latest expiry has passed as garbage;
     * {@link #dropExpiring} takes back those of records that stop being live.
     */
    public void noteExpiring(int id, long footprint, long expireAtMillis) {
        LONGS.getAndAdd(expiringBytes, id, footprint);
        noteExpiry(id, expireAtMillis);
    }

    /** A record of the segment now expires at {@code expireAtMillis}: an append, or an in-place update. */
    public void noteExpiry(int id, long expireAtMillis) {
        for (long current = (long) LONGS.getVolatile(maxExpiry, id); current < expireAtMillis;
             current = (long) LONGS.getVolatile(maxExpiry, id)) {
            if (LONGS.compareAndSet(maxExpiry, id, current, expireAtMillis)) {
                break;
            }
        }
        lowerMinExpiry(id, expireAtMillis);
    }

    /** An expiring record of {@code footprint} bytes is no longer live here: removed, replaced or relocated. */
    public void dropExpiring(int id, long footprint) {
        LONGS.getAndAdd(expiringBytes, id, -footprint);
    }

    /** When the segment's earliest record expiry is due, or a later time a sweep set; MAX_VALUE for none. */
    public long minExpiry(int id) {
        return (long) LONGS.getVolatile(minExpiry, id);
    }

    /**
     * Starts a sweep: returns the segment's earliest expiry and clears it, so that expiries written while the sweep
     * walks lower it afresh and none is lost when the sweep sets the next one with {@link #lowerMinExpiry}.
     */
    public long takeMinExpiry(int id) {
        return (long) LONGS.getAndSet(minExpiry, id, Long.MAX_VALUE);
    }

    /** Makes the segment's earliest expiry at most {@code expireAtMillis}. */
    public void lowerMinExpiry(int id, long expireAtMillis) {
        for (long current = (long) LONGS.getVolatile(minExpiry, id); current > expireAtMillis;
             current = (long) LONGS.getVolatile(minExpiry, id)) {
            if (LONGS.compareAndSet(minExpiry, id, current, expireAtMillis)) {
                return;
            }
        }
    }

    /**
     * Live bytes that survive at {@code nowMillis}: when every expiring record of the segment has expired, its
     * expiring bytes are garbage. An estimate for choosing victims; relocation checks each record.
     */
    public long liveAt(int id, long nowMillis) {
        long live = live(id);
        long latest = (long) LONGS.getVolatile(maxExpiry, id);
        if (latest > 0 && latest <= nowMillis) {
            live -= (long) LONGS.getVolatile(expiringBytes, id);
        }
        return Math.max(0, live);
    }

    public long closeStamp(int id) {
        return closeStamp[id];
    }
}
