package io.nibble.log;

import io.nibble.alloc.BlockAllocator;
import io.nibble.epoch.EpochTable;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;

import static io.nibble.log.RecordLayout.CAPACITY_OFFSET;
import static io.nibble.log.RecordLayout.CRC_OFFSET;
import static io.nibble.log.RecordLayout.FLAG_EXPIRES;
import static io.nibble.log.RecordLayout.HEADER;
import static io.nibble.log.RecordLayout.MAX_HEADER;
import static io.nibble.log.RecordLayout.META_OFFSET;
import static io.nibble.log.RecordLayout.SEQUENCE_OFFSET;

/**
 * The log of one NUMA node: its block allocator, its heads (one per core) and the segments they fill.
 *
 * <p>"Write local, read global": writers append through their own node's heads, readers follow addresses into any
 * node's blocks. A head's segment takes blocks one at a time as it fills, so an open head holds at most one
 * partly written block. Sealed segments queue in {@link #sealed} for the node's compactors.
 */
public final class NodeLog {
    /** {@link #append} found no free block (the store is full until compaction frees some). */
    public static final long NO_SPACE = -1;
    /** The open segment reached its block budget; seal it and open another. */
    static final long SEGMENT_FULL = -2;

    private final int node;
    private final LogMemory mem;
    private final SegmentTable segments;
    private final BlockAllocator allocator;
    private final EpochTable epochs;
    private final LogHead[] heads;
    private final int headMask;
    private final HeadSelection selection;
    private final int segmentBlocks;
    private final long dedicatedThreshold;
    private final ConcurrentLinkedQueue<Integer> sealed = new ConcurrentLinkedQueue<>();

    public NodeLog(int node, LogMemory mem, SegmentTable segments, BlockAllocator allocator, EpochTable epochs,
                   int headCount, HeadSelection selection, int segmentBlocks) {
        this.node = node;
        this.mem = mem;
        this.segments = segments;
        this.allocator = allocator;
        this.epochs = epochs;
        this.selection = selection;
        this.segmentBlocks = segmentBlocks;
        int n = selection == HeadSelection.SINGLE ? 1 : Integer.highestOneBit(Math.max(1, headCount) * 2 - 1);
        this.heads = new LogHead[n];
        this.headMask = n - 1;
        for (int i = 0; i < n; i++) {
            // Budgets spread over [1, 1.25) segments, so heads filled at the same rate roll over at different times.
            heads[i] = new LogHead(i, n == 1 ? 0 : (int) ((long) i * (segmentBlocks / 4) / n));
        }
        this.dedicatedThreshold = (long) segmentBlocks * mem.blockSize() / 2;
    }

    public int node() {
        return node;
    }

    public BlockAllocator allocator() {
        return allocator;
    }

    public LogMemory memory() {
        return mem;
    }

    public SegmentTable segments() {
        return segments;
    }

    public int headCount() {
        return heads.length;
    }

    public int segmentBlocks() {
        return segmentBlocks;
    }

    /** Segments sealed since the compactors last looked. */
    public ConcurrentLinkedQueue<Integer> sealed() {
        return sealed;
    }

    /**
     * Appends an unpublished record. The caller publishes its address in the index, or abandons it (it then stays
     * dead bytes for compaction). The caller must be pinned: the segment is not compacted before every operation
     * pinned when it was sealed has finished, which is what keeps a record appended but not yet published safe.
     *
     * @return the record's address, or {@link #NO_SPACE}
     */
    public long append(int cpu, int flags, Object key, Object value, long expiry) {
        int keyLength = (int) Bytes.length(key);
        int valueLength = (int) Bytes.length(value);
        int header = RecordLayout.headerLength(flags);
        int capacity = RecordLayout.capacityFor(header, keyLength, valueLength);
        long footprint = RecordLayout.footprint(header, keyLength, capacity);
        if (footprint > dedicatedThreshold) {
            return appendDedicated(cpu, flags, key, value, expiry, capacity, footprint);
        }
        LogHead head = acquireHead(cpu);
        try {
            long address = place(head, footprint, cpu, false);
            if (address == SEGMENT_FULL) {
                seal(head);
                address = place(head, footprint, cpu, false);
                if (address == SEGMENT_FULL) {
                    throw new IllegalStateException("a record of " + footprint + " bytes did not fit a new segment");
                }
            }
            if (address < 0) {
                return NO_SPACE;
            }
            writeRecord(address, flags, key, keyLength, value, valueLength, capacity, expiry);
            if ((flags & FLAG_EXPIRES) != 0) {
                segments.noteExpiring(mem.segmentOf(address), footprint, expiry);
            }
            return address;
        } finally {
            head.unlock();
        }
    }

    /** A record too large for shared head segments gets a segment of its own, sealed at once. */
    private long appendDedicated(int cpu, int flags, Object key, Object value, long expiry,
                                 int capacity, long footprint) {
        int blocks = blocksFor(footprint);
        if (allocator.availableBlocks() < blocks) {
            return NO_SPACE; // don't drain the free blocks other writers need for a record that cannot fit
        }
        Appender own = new Appender();
        if (!open(own, blocks, cpu, false)) {
            return NO_SPACE;
        }
        try {
            long address = place(own, footprint, cpu, false);
            if (address < 0) {
                return NO_SPACE; // the sealed segment has no live bytes: compaction frees it at once
            }
            writeRecord(address, flags, key, (int) Bytes.length(key), value, (int) Bytes.length(value), capacity,
                    expiry);
            if ((flags & FLAG_EXPIRES) != 0) {
                segments.noteExpiring(own.segment, footprint, expiry);
            }
            return address;
        } finally {
            seal(own);
        }
    }

    /** Blocks a dedicated segment needs for one record of {@code footprint} bytes. */
    private int blocksFor(long footprint) {
        return (int) ((footprint + MAX_HEADER + mem.blockSize() - 1) / mem.blockSize()) + 1;
    }

    private LogHead acquireHead(int cpu) {
        LogHead[] hs = heads;
        switch (selection) {
            case SINGLE -> {
                hs[0].lock();
                return hs[0];
            }
            case RANDOM -> cpu = ThreadLocalRandom.current().nextInt();
            default -> { }
        }
        for (int i = 0; ; i++) {
            LogHead h = hs[(cpu + i) & headMask];
            if (h.tryLock()) {
                return h;
            }
            if (i > headMask) {
                Thread.onSpinWait(); // every head busy: more writers than heads on this node
            }
        }
    }

    /**
     * Reserves {@code footprint} bytes at the appender's position, opening a segment when it has none. The header
     * never straddles a block: with fewer than {@link RecordLayout#MAX_HEADER} bytes left, the record starts in the
     * next block.
     *
     * @return the record address, {@link #NO_SPACE} or {@link #SEGMENT_FULL}
     */
    long place(Appender a, long footprint, int cpu, boolean useReserve) {
        if (a.segment < 0) {
            int budget = segmentBlocks + (a instanceof LogHead h ? h.stagger : 0);
            if (!open(a, budget, cpu, useReserve)) {
                return NO_SPACE;
            }
        }
        int blockSize = mem.blockSize();
        int start = a.block;
        int offset = a.offset;
        if (blockSize - offset < MAX_HEADER) {
            int n = nextBlock(a, start, cpu, useReserve);
            if (n < 0) {
                return n;
            }
            start = n;
            offset = 0;
        }
        long end = offset + footprint; // relative to the start of block `start`
        int block = start;
        long covered = blockSize;
        while (covered < end) {
            int n = nextBlock(a, block, cpu, useReserve);
            if (n < 0) {
                return n;
            }
            block = n;
            covered += blockSize;
        }
        a.block = block;
        a.offset = (int) (end - (covered - blockSize));
        return mem.address(start, offset);
    }

    private int nextBlock(Appender a, int block, int cpu, boolean useReserve) {
        int n = mem.nextBlock(block);
        if (n >= 0) {
            return n;
        }
        if (a.blocks >= a.maxBlocks) {
            return (int) SEGMENT_FULL;
        }
        n = allocator.allocate(cpu, useReserve);
        if (n < 0) {
            return (int) NO_SPACE;
        }
        mem.link(block, n, a.segment);
        segments.linkBlock(a.segment, n);
        a.blocks++;
        return n;
    }

    /** Opens a fresh segment of at most {@code maxBlocks} blocks for {@code a}, with its first block. */
    boolean open(Appender a, int maxBlocks, int cpu, boolean useReserve) {
        int first = allocator.allocate(cpu, useReserve);
        if (first < 0) {
            return false;
        }
        int id = segments.open(node);
        if (id < 0) {
            allocator.free(first);
            return false;
        }
        mem.link(-1, first, id);
        segments.linkBlock(id, first);
        a.segment = id;
        a.block = first;
        a.offset = 0;
        a.blocks = 1;
        a.maxBlocks = Math.max(1, maxBlocks);
        return true;
    }

    /** Seals the appender's segment (if any) and hands it to the compactors. */
    public void seal(Appender a) {
        if (a.segment < 0) {
            return;
        }
        int id = a.segment;
        segments.seal(id, a.block, a.offset, epochs.advance());
        sealed.add(id);
        a.reset();
    }

    /**
     * Seals the segments of heads no writer holds right now, so the garbage in them becomes compactable. Used when
     * writers wait for space: a blocked writer fills no head, so its head would never seal by itself.
     *
     * @return true when a segment was sealed
     */
    public boolean sealIdle() {
        boolean sealedAny = false;
        for (LogHead h : heads) {
            if (h.tryLock()) {
                try {
                    if (h.segment >= 0 && (h.blocks > 1 || h.offset > 0)) {
                        seal(h);
                        sealedAny = true;
                    }
                } finally {
                    h.unlock();
                }
            }
        }
        return sealedAny;
    }

    /**
     * Seals {@code a}'s segment when it holds a record whose expiry has passed and nothing has been appended to it
     * for {@code idleMillis}. The expiry sweep walks only sealed segments, so an idle open segment would otherwise
     * keep its expired keys indexed until a write fills it; sealing leaves the rest of its last block unused until
     * compaction takes the segment. The caller holds the appender.
     *
     * @return true when it sealed
     */
    public boolean sealIfIdleAndExpired(Appender a, long nowMillis, long idleMillis) {
        if (a.segment < 0) {
            return false;
        }
        if (a.segment != a.idleSegment || a.block != a.idleBlock || a.offset != a.idleOffset) {
            a.idleSegment = a.segment;
            a.idleBlock = a.block;
            a.idleOffset = a.offset;
            a.idleSinceMillis = nowMillis;
            return false;
        }
        if (nowMillis - a.idleSinceMillis < idleMillis || segments.minExpiry(a.segment) > nowMillis) {
            return false;
        }
        seal(a);
        return true;
    }

    /** {@link #sealIfIdleAndExpired} for each head no writer holds right now. */
    public void sealIdleExpired(long nowMillis, long idleMillis) {
        for (LogHead h : heads) {
            if (h.tryLock()) {
                try {
                    sealIfIdleAndExpired(h, nowMillis, idleMillis);
                } finally {
                    h.unlock();
                }
            }
        }
    }

    /** Seals every head's segment (used at close and by tests that want everything compactable). */
    public void sealHeads() {
        for (LogHead h : heads) {
            h.lock();
            try {
                seal(h);
            } finally {
                h.unlock();
            }
        }
    }

    /** Writes a record at a placed address; the meta word goes last. */
    private void writeRecord(long address, int flags, Object key, int keyLength, Object value,
                             int valueLength, int capacity, long expiry) {
        int header = HEADER;
        mem.putLong(address + SEQUENCE_OFFSET, 0L);
        mem.putInt(address + CAPACITY_OFFSET, capacity);
        mem.putInt(address + CRC_OFFSET, 0);
        if ((flags & FLAG_EXPIRES) != 0) {
            mem.putLong(address + HEADER, expiry);
            header += RecordLayout.EXPIRY_FIELD;
        }
        long keyAddress = address + header; // the header never straddles, so the key starts in or right after it
        long inBlock = mem.offsetInBlock(address) + header;
        try {
            if (inBlock + keyLength + valueLength <= mem.blockSize()) {
                mem.write(keyAddress, key, keyLength);
                mem.write(keyAddress + keyLength, value, valueLength);
            } else {
                keyAddress = mem.advance(address, header);
                mem.write(keyAddress, key, keyLength);
                mem.write(mem.advance(keyAddress, keyLength), value, valueLength);
            }
        } catch (RuntimeException | Error e) {
            // The space is taken: mark it dead with its true lengths so segment walks can step over it.
            mem.putLong(address + META_OFFSET, RecordLayout.meta(flags | RecordLayout.FLAG_TOMBSTONE, keyLength,
                    valueLength));
            throw e;
        }
        mem.putLong(address + META_OFFSET, RecordLayout.meta(flags, keyLength, valueLength));
    }

    /**
     * Copies the record at {@code from} ({@code footprint} bytes) to the compactor's appender.
     *
     * @return the new address, or {@link #NO_SPACE} when even the reserve is exhausted
     */
    public long relocate(Appender out, long from, long footprint, int cpu) {
        if (footprint > dedicatedThreshold) {
            Appender own = new Appender();
            if (!open(own, blocksFor(footprint), cpu, true)) {
                return NO_SPACE;
            }
            long address = place(own, footprint, cpu, true);
            if (address >= 0) {
                copyRecord(from, address, footprint);
            }
            seal(own);
            return address < 0 ? NO_SPACE : address;
        }
        long address = place(out, footprint, cpu, true);
        if (address == SEGMENT_FULL) {
            seal(out);
            address = place(out, footprint, cpu, true);
        }
        if (address < 0) {
            return NO_SPACE;
        }
        copyRecord(from, address, footprint);
        return address;
    }

    /**
     * Visits the records of a sealed (or otherwise quiet) segment from its first block to its end, skipping the
     * block tails too short for a header.
     *
     * @return false when the visitor stopped the walk
     */
    public boolean walk(int segment, int endBlock, int endOffset, RecordVisitor visitor) {
        int blockSize = mem.blockSize();
        int block = segments.firstBlock(segment);
        int offset = 0;
        while (block >= 0 && !(block == endBlock && offset >= endOffset)) {
            if (blockSize - offset < MAX_HEADER) {
                block = mem.nextBlock(block);
                offset = 0;
                continue;
            }
            long address = mem.address(block, offset);
            long meta = mem.getLong(address);
            if (meta == 0) {
                throw new IllegalStateException("segment " + segment + " holds an unwritten record at " + address);
            }
            long footprint = RecordLayout.footprint(RecordLayout.headerLength(RecordLayout.flags(meta)),
                    RecordLayout.keyLength(meta), mem.getInt(address + CAPACITY_OFFSET));
            if (!visitor.visit(address, meta, footprint)) {
                return false;
            }
            long end = offset + footprint;
            while (end > blockSize) {
                block = mem.nextBlock(block);
                end -= blockSize;
            }
            offset = (int) end; // may equal the block size
        }
        return true;
    }

    private void copyRecord(long from, long to, long footprint) {
        mem.copyWithin(from, to, footprint);
        long meta = mem.getLong(to);
        if ((RecordLayout.flags(meta) & FLAG_EXPIRES) != 0) {
            segments.noteExpiring(mem.segmentOf(to), footprint, mem.getLong(to + HEADER));
        }
    }

    /** Frees a retired segment's blocks (returning their pages to the OS) and its id. */
    public void free(int segment) {
        int block = segments.firstBlock(segment);
        int runStart = -1;
        int runLength = 0;
        int[] chain = new int[segments.blocks(segment)];
        int n = 0;
        while (block >= 0) {
            int following = mem.nextBlock(block);
            if (runStart >= 0 && block == runStart + runLength) {
                runLength++;
            } else {
                releaseRun(runStart, runLength);
                runStart = block;
                runLength = 1;
            }
            if (n < chain.length) {
                chain[n] = block;
            }
            n++;
            block = following;
        }
        releaseRun(runStart, runLength);
        if (n != chain.length) {
            throw new IllegalStateException("segment " + segment + " chains " + n + " blocks, table says "
                    + chain.length);
        }
        for (int b : chain) {
            mem.unlink(b);
            allocator.free(b);
        }
        segments.release(segment);
    }

    private void releaseRun(int start, int length) {
        if (start >= 0 && length > 0) {
            mem.region().release(mem.address(start, 0), (long) length * mem.blockSize());
        }
    }
}
