package io.nibble.alloc;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lock-free allocator of fixed-size blocks in the spirit of LLFree.
 *
 * <p>Layout. One bit per block in 64-bit words (1 = allocated); a word is a <em>chunk</em> of 64 blocks. Every
 * state change is a single-word CAS on one chunk; there is no lock and no log, so the bitmap alone is the truth and
 * the counters can be rebuilt from it.
 *
 * <p>Reservation. Each CPU owns a hint: the chunk it allocates from until that chunk is full. Hints start spread
 * over the bitmap, so CPUs allocate from different cache lines and CAS failures are rare. When its chunk is full a
 * CPU moves its hint to the next chunk with a free bit, preferring chunks it passes first; freed blocks become
 * visible to every CPU at once.
 *
 * <p>Budget. A separate counter of free blocks is decremented before a bit is searched, so a search that starts is
 * guaranteed to find a bit. Ordinary allocations stop when only the compaction reserve remains; compaction may use
 * the reserve. Thus "full" is decided by one counter and the bitmap search never fails spuriously.
 */
public final class BlockAllocator {
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle HINT = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int HINT_STRIDE = 16; // ints: one hint per 64-byte line

    private final int firstBlock;
    private final int blockCount;
    private final long[] words;
    private final int[] hints;
    private final int hintMask;
    private final long reserveBlocks;
    private final AtomicLong free;

    /**
     * @param firstBlock index of the first block this allocator hands out
     * @param blockCount number of blocks
     * @param reserveBlocks blocks only {@link #allocate(int, boolean) compaction allocations} may take
     * @param cpus number of CPU hints to keep
     */
    public BlockAllocator(int firstBlock, int blockCount, long reserveBlocks, int cpus) {
        if (blockCount <= 0 || reserveBlocks < 0 || reserveBlocks >= blockCount) {
            throw new IllegalArgumentException("bad allocator size: " + blockCount + " blocks, reserve "
                    + reserveBlocks);
        }
        this.firstBlock = firstBlock;
        this.blockCount = blockCount;
        int wordCount = (blockCount + 63) >>> 6;
        this.words = new long[wordCount];
        int tail = blockCount & 63;
        if (tail != 0) {
            words[wordCount - 1] = -1L << tail; // blocks past the end are permanently "allocated"
        }
        int h = Integer.highestOneBit(Math.max(1, cpus) * 2 - 1);
        this.hintMask = h - 1;
        this.hints = new int[h * HINT_STRIDE];
        for (int i = 0; i < h; i++) {
            hints[i * HINT_STRIDE] = (int) ((long) i * wordCount / h);
        }
        this.reserveBlocks = reserveBlocks;
        this.free = new AtomicLong(blockCount);
    }

    /**
     * Allocates one block.
     *
     * @param cpu the caller's CPU, selecting its reservation hint
     * @param useReserve true for compaction, which may dig into the reserve
     * @return the block index, or -1 when none is available to this caller
     */
    public int allocate(int cpu, boolean useReserve) {
        long floor = useReserve ? 0 : reserveBlocks;
        for (long f = free.get(); ; f = free.get()) {
            if (f <= floor) {
                return -1;
            }
            if (free.compareAndSet(f, f - 1)) {
                break;
            }
        }
        int hintIndex = (cpu & hintMask) * HINT_STRIDE;
        int w = (int) HINT.getOpaque(hints, hintIndex);
        int n = words.length;
        for (int scanned = 0; ; scanned++) {
            if (w >= n) {
                w = 0;
            }
            long bits = (long) WORD.getVolatile(words, w);
            while (bits != -1L) {
                int bit = Long.numberOfTrailingZeros(~bits);
                long witness = (long) WORD.compareAndExchange(words, w, bits, bits | (1L << bit));
                if (witness == bits) {
                    HINT.setOpaque(hints, hintIndex, w);
                    return firstBlock + (w << 6) + bit;
                }
                bits = witness;
            }
            w++;
            if (scanned > 4 * n) {
                // The budget promised a free bit; a racing allocator took it and a racing free has not landed yet.
                Thread.onSpinWait();
            }
        }
    }

    /** Returns {@code block} to the allocator. The caller has already released its memory if it wanted to. */
    public void free(int block) {
        int b = block - firstBlock;
        if (b < 0 || b >= blockCount) {
            throw new IllegalArgumentException("block " + block + " is not owned by this allocator");
        }
        int w = b >>> 6;
        long mask = 1L << (b & 63);
        for (long bits = (long) WORD.getVolatile(words, w); ; ) {
            if ((bits & mask) == 0) {
                throw new IllegalStateException("double free of block " + block);
            }
            long witness = (long) WORD.compareAndExchange(words, w, bits, bits & ~mask);
            if (witness == bits) {
                break;
            }
            bits = witness;
        }
        free.incrementAndGet();
    }

    /** True when {@code block} is currently allocated. */
    public boolean isAllocated(int block) {
        int b = block - firstBlock;
        return ((long) WORD.getVolatile(words, b >>> 6) & (1L << (b & 63))) != 0;
    }

    public int firstBlock() {
        return firstBlock;
    }

    public int blockCount() {
        return blockCount;
    }

    public long reserveBlocks() {
        return reserveBlocks;
    }

    /** Free blocks, reserve included. */
    public long freeBlocks() {
        return free.get();
    }

    /** Free blocks that ordinary (non-compaction) allocations may still take. */
    public long availableBlocks() {
        return Math.max(0, free.get() - reserveBlocks);
    }

    public long allocatedBlocks() {
        return blockCount - free.get();
    }

    /** Counts allocated bits in the bitmap; equals {@link #allocatedBlocks()} when no allocation is in flight. */
    public long countAllocatedBits() {
        long n = 0;
        for (int w = 0; w < words.length; w++) {
            n += Long.bitCount((long) WORD.getVolatile(words, w));
        }
        int tail = blockCount & 63;
        return tail == 0 ? n : n - (64 - tail);
    }
}
