package io.nibble.epoch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The distributed epoch table: a fixed array of padded slots that operations lease for their duration.
 *
 * <p>Implementation notes. A slot holds 0 when free, else the global epoch its holder read when it pinned. Pinning
 * is one CAS from 0 to that epoch: the CAS both leases the slot and publishes the pin, and as a volatile access it
 * is the full fence (StoreLoad) that orders the pin before the operation's first read of shared structures.
 * Slots are tried starting at a stripe picked by the current CPU, so concurrent operations on different CPUs touch
 * different cache lines and a thread that dies or a virtual thread that unmounts never strands a slot: slots belong
 * to operations, not threads. Unpinning is a release store of 0, ordering every read of the operation before the
 * slot is seen free.
 *
 * <p>Reclamation: whoever unlinks an object (a segment, an index array) calls {@link #advance()} afterwards and
 * keeps the returned stamp. The object may be freed once {@link #isSafe(long)} holds for that stamp: every slot is
 * free or holds an epoch at least the stamp. An operation pinned with epoch &gt;= stamp read the global epoch after
 * the advance, hence after the unlink, so it cannot reach the object. An operation that read an older epoch but had
 * not yet published it when the reclaimer scanned performs its CAS after the scan, hence after the unlink, and so
 * cannot reach the object either.
 */
public final class EpochTable {
    /** Longs between two slots: 128 bytes, so adjacent-line prefetch does not couple neighbours. */
    private static final int STRIDE = 16;
    private static final int SLOTS_PER_CPU = 4;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] slots;
    private final int slotCount;
    private final int mask;
    private final boolean striped;
    private final PaddedEpoch epoch = new PaddedEpoch();

    /** A table with room for at least {@code minSlots} concurrent operations (rounded up to a power of two). */
    public EpochTable(int minSlots) {
        this(minSlots, true);
    }

    /**
     * A table with room for at least {@code minSlots} concurrent operations.
     *
     * @param striped true to start each slot search at the caller's CPU stripe; false to start every search at
     *                slot 0, so all operations touch the same cache lines as a single shared counter would (an
     *                ablation of the striping, for benchmarks)
     */
    public EpochTable(int minSlots, boolean striped) {
        int n = Integer.highestOneBit(Math.max(16, minSlots) - 1) << 1;
        this.slotCount = n;
        this.mask = n - 1;
        this.slots = new long[n * STRIDE + STRIDE];
        this.striped = striped;
    }

    /** A table sized for this machine: 8 slots per CPU, at least 128. */
    public static EpochTable forMachine() {
        return forMachine(true);
    }

    /** A table sized for this machine, striped or not (see {@link #EpochTable(int, boolean)}). */
    public static EpochTable forMachine(boolean striped) {
        return new EpochTable(Math.max(128, Runtime.getRuntime().availableProcessors() * 8), striped);
    }

    public int slotCount() {
        return slotCount;
    }

    /**
     * Pins the current epoch for one operation.
     *
     * @param cpu the caller's CPU (any int; negative is fine) used to pick a stripe of slots
     * @return the leased slot, to be passed to {@link #unpin(int)} in a {@code finally}
     */
    public int pin(int cpu) {
        int start = striped ? (cpu * SLOTS_PER_CPU) & mask : 0;
        for (int spins = 0; ; spins++) {
            long e = epoch.value;
            for (int i = 0; i < slotCount; i++) {
                int slot = (start + i) & mask;
                int index = (slot + 1) * STRIDE;
                if ((long) SLOT.getOpaque(slots, index) == 0L && SLOT.compareAndSet(slots, index, 0L, e)) {
                    return slot;
                }
            }
            // Every slot is leased: more threads are inside operations than the table has slots. They leave soon.
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** Ends the operation that leased {@code slot}. */
    public void unpin(int slot) {
        SLOT.setRelease(slots, (slot + 1) * STRIDE, 0L);
    }

    /** Moves the global epoch on and returns the new value: the stamp of objects unlinked before this call. */
    public long advance() {
        return epoch.advance();
    }

    /** The current global epoch. */
    public long current() {
        return epoch.value;
    }

    /** True when no operation that may have seen an object unlinked before {@code stamp} is still running. */
    public boolean isSafe(long stamp) {
        for (int s = 0; s < slotCount; s++) {
            long v = (long) SLOT.getVolatile(slots, (s + 1) * STRIDE);
            if (v != 0 && v < stamp) {
                return false;
            }
        }
        return true;
    }

    /**
     * The oldest epoch any operation is pinned at, or {@link Long#MAX_VALUE} when none is: every stamp at most this
     * value is safe. One scan answers for many stamps.
     */
    public long oldestPinned() {
        long min = Long.MAX_VALUE;
        for (int s = 0; s < slotCount; s++) {
            long v = (long) SLOT.getVolatile(slots, (s + 1) * STRIDE);
            if (v != 0 && v < min) {
                min = v;
            }
        }
        return min;
    }

    /** True when no operation is pinned at all. */
    public boolean isQuiescent() {
        for (int s = 0; s < slotCount; s++) {
            if ((long) SLOT.getVolatile(slots, (s + 1) * STRIDE) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Number of slots leased right now (a racy snapshot, for tests and stats). */
    public int pinnedCount() {
        int n = 0;
        for (int s = 0; s < slotCount; s++) {
            if ((long) SLOT.getVolatile(slots, (s + 1) * STRIDE) != 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Waits until {@link #isSafe(long)} holds for {@code stamp}.
     *
     * @param maxNanos give up after this long
     * @return true when the stamp became safe
     */
    public boolean awaitSafe(long stamp, long maxNanos) {
        long deadline = System.nanoTime() + maxNanos;
        for (int spins = 0; !isSafe(stamp); spins++) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            if (spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        return true;
    }

    /** The global epoch on a cache line of its own; only reclaimers write it. */
    @SuppressWarnings("unused")
    private static final class PaddedEpoch {
        long p00, p01, p02, p03, p04, p05, p06, p07;
        volatile long value = 1;
        long p10, p11, p12, p13, p14, p15, p16, p17;

        long advance() {
            return (long) VALUE.getAndAdd(this, 1L) + 1;
        }

        private static final VarHandle VALUE;

        static {
            try {
                VALUE = MethodHandles.lookup().findVarHandle(PaddedEpoch.class, "value", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
