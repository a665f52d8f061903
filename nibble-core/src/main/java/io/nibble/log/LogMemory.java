package io.nibble.log;

import io.nibble.memory.Region;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The log's memory: one region cut into blocks, plus the block table that chains a segment's blocks.
 *
 * <p>A record address is a byte offset into the region: {@code block * blockSize + offsetInBlock}. A record whose
 * key or value runs past the end of its block continues at offset 0 of the next block in its segment's chain
 * ({@link #nextBlock}). Readers follow the chain without synchronisation: a block's successor is written before
 * any record spanning into it is published, and does not change until the segment is freed, which epochs defer
 * until no reader can hold an address in it.
 */
public final class LogMemory {
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_UNALIGNED =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle ARRAY_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final Region region;
    private final MemorySegment mem;
    private final int blockShift;
    private final int blockSize;
    private final long blockMask;
    private final int blockCount;
    private final int[] next;
    private final int[] owner;

    public LogMemory(Region region, int blockSize) {
        if (Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("block size must be a power of two: " + blockSize);
        }
        this.region = region;
        this.mem = region.memory();
        this.blockSize = blockSize;
        this.blockShift = Integer.numberOfTrailingZeros(blockSize);
        this.blockMask = blockSize - 1;
        long count = region.byteSize() >>> blockShift;
        if (count > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException("too many blocks: " + count);
        }
        this.blockCount = (int) count;
        this.next = new int[blockCount];
        this.owner = new int[blockCount];
        java.util.Arrays.fill(next, -1);
        java.util.Arrays.fill(owner, -1);
    }

    public MemorySegment memory() {
        return mem;
    }

    public Region region() {
        return region;
    }

    public int blockSize() {
        return blockSize;
    }

    public int blockShift() {
        return blockShift;
    }

    public int blockCount() {
        return blockCount;
    }

    public static long address(int block, int offset, int blockShift) {
        return ((long) block << blockShift) + offset;
    }

    public long address(int block, int offset) {
        return ((long) block << blockShift) + offset;
    }

    public int blockOf(long address) {
        return (int) (address >>> blockShift);
    }

    public int offsetInBlock(long address) {
        return (int) (address & blockMask);
    }

    /** The segment that owns the block holding {@code address}. */
    public int segmentOf(long address) {
        return owner[(int) (address >>> blockShift)];
    }

    public int owner(int block) {
        return owner[block];
    }

    public int nextBlock(int block) {
        return next[block];
    }

    /** Appends {@code block} to a chain: it follows {@code previous} (or starts the chain when -1). */
    public void link(int previous, int block, int segment) {
        owner[block] = segment;
        next[block] = -1;
        if (previous >= 0) {
            next[previous] = block;
        }
    }

    /** Forgets a freed block's chain entry. */
    public void unlink(int block) {
        next[block] = -1;
        owner[block] = -1;
    }

    /** Gives a block's pages back to the OS. */
    public boolean release(int block) {
        return region.release((long) block << blockShift, blockSize);
    }

    // ---- fixed-size fields: never straddle a block ----

    public long getLong(long address) {
        return mem.get(LONG, address);
    }

    public void putLong(long address, long value) {
        mem.set(LONG, address, value);
    }

    public int getInt(long address) {
        return mem.get(INT, address);
    }

    public void putInt(long address, int value) {
        mem.set(INT, address, value);
    }

    /** The address {@code n} bytes after {@code address} within the same segment's chain. */
    public long advance(long address, long n) {
        long inBlock = (address & blockMask) + n;
        if (inBlock < blockSize) {
            return address + n;
        }
        int block = (int) (address >>> blockShift);
        while (inBlock >= blockSize) {
            inBlock -= blockSize;
            int following = next[block];
            if (following < 0) {
                if (inBlock == 0) {
                    // Exactly at the end of the chain: a zero-length field there is never read.
                    return ((long) block << blockShift) + blockSize;
                }
                throw new IllegalStateException("record runs past the end of its segment");
            }
            block = following;
        }
        return ((long) block << blockShift) + inBlock;
    }

    // ---- variable-size data: may continue in the next block ----

    /** Copies {@code length} bytes at {@code address} into {@code dst[dstOffset..]}. */
    public void read(long address, byte[] dst, int dstOffset, int length) {
        int inBlock = (int) (address & blockMask);
        if (inBlock + length <= blockSize) {
            MemorySegment.copy(mem, ValueLayout.JAVA_BYTE, address, dst, dstOffset, length);
            return;
        }
        int block = (int) (address >>> blockShift);
        while (length > 0) {
            int n = Math.min(length, blockSize - inBlock);
            MemorySegment.copy(mem, ValueLayout.JAVA_BYTE, ((long) block << blockShift) + inBlock, dst, dstOffset,
                    n);
            dstOffset += n;
            length -= n;
            inBlock = 0;
            if (length > 0) {
                block = next[block];
            }
        }
    }

    /** Copies {@code length} bytes at {@code address} into {@code dst} at {@code dstOffset}. */
    public void read(long address, MemorySegment dst, long dstOffset, long length) {
        long inBlock = address & blockMask;
        if (inBlock + length <= blockSize) {
            MemorySegment.copy(mem, address, dst, dstOffset, length);
            return;
        }
        int block = (int) (address >>> blockShift);
        while (length > 0) {
            long n = Math.min(length, blockSize - inBlock);
            MemorySegment.copy(mem, ((long) block << blockShift) + inBlock, dst, dstOffset, n);
            dstOffset += n;
            length -= n;
            inBlock = 0;
            if (length > 0) {
                block = next[block];
            }
        }
    }

    /** Copies the first {@code length} bytes of {@code src} (a {@code byte[]} or a segment) to {@code address}. */
    public void write(long address, Object src, long length) {
        long inBlock = address & blockMask;
        if (inBlock + length <= blockSize) {
            copyIn(src, 0, address, length);
            return;
        }
        int block = (int) (address >>> blockShift);
        long srcOffset = 0;
        while (length > 0) {
            long n = Math.min(length, blockSize - inBlock);
            copyIn(src, srcOffset, ((long) block << blockShift) + inBlock, n);
            srcOffset += n;
            length -= n;
            inBlock = 0;
            if (length > 0) {
                block = next[block];
            }
        }
    }

    private void copyIn(Object src, long srcOffset, long address, long length) {
        if (src instanceof byte[] array) {
            MemorySegment.copy(array, (int) srcOffset, mem, ValueLayout.JAVA_BYTE, address, (int) length);
        } else {
            MemorySegment.copy((MemorySegment) src, srcOffset, mem, address, length);
        }
    }

    /** Copies {@code length} bytes of log from {@code from} to {@code to}; both ranges follow their chains. */
    public void copyWithin(long from, long to, long length) {
        while (length > 0) {
            long n = Math.min(length, Math.min(blockSize - (from & blockMask), blockSize - (to & blockMask)));
            MemorySegment.copy(mem, from, mem, to, n);
            length -= n;
            if (length > 0) {
                from = advance(from, n);
                to = advance(to, n);
            }
        }
    }

    /** True when the {@code length} bytes at {@code address} equal {@code key} (a {@code byte[]} or a segment). */
    public boolean equalsKey(long address, Object key, long length) {
        long inBlock = address & blockMask;
        if (inBlock + length <= blockSize) {
            return equalRange(address, key, 0, length);
        }
        int block = (int) (address >>> blockShift);
        long keyOffset = 0;
        while (length > 0) {
            long n = Math.min(length, blockSize - inBlock);
            if (!equalRange(((long) block << blockShift) + inBlock, key, keyOffset, n)) {
                return false;
            }
            keyOffset += n;
            length -= n;
            inBlock = 0;
            if (length > 0) {
                block = next[block];
            }
        }
        return true;
    }

    private boolean equalRange(long address, Object key, long keyOffset, long length) {
        if (key instanceof MemorySegment segment) {
            return MemorySegment.mismatch(mem, address, address + length, segment, keyOffset,
                    keyOffset + length) < 0;
        }
        byte[] array = (byte[]) key;
        int i = (int) keyOffset;
        int end = (int) (keyOffset + length);
        for (; i + 8 <= end; i += 8, address += 8) {
            if (mem.get(LONG_UNALIGNED, address) != (long) ARRAY_LONG.get(array, i)) {
                return false;
            }
        }
        for (; i < end; i++, address++) {
            if (mem.get(ValueLayout.JAVA_BYTE, address) != array[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads eight little-endian bytes of data that may straddle a block (used by hashing). */
    public long getLongUnaligned(long address) {
        if ((address & blockMask) + 8 <= blockSize) {
            return mem.get(LONG_UNALIGNED, address);
        }
        byte[] b = new byte[8];
        read(address, b, 0, 8);
        return MemorySegment.ofArray(b).get(LONG_UNALIGNED, 0);
    }
}
