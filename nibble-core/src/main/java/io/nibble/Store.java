package io.nibble;

import io.nibble.alloc.BlockAllocator;
import io.nibble.compact.Compactor;
import io.nibble.epoch.EpochTable;
import io.nibble.index.BucketArray;
import io.nibble.index.HashIndex;
import io.nibble.log.Appender;
import io.nibble.log.Bytes;
import io.nibble.log.HeadSelection;
import io.nibble.log.LogMemory;
import io.nibble.log.NodeLog;
import io.nibble.log.RecordLayout;
import io.nibble.log.SegmentTable;
import io.nibble.memory.NativeMemory;
import io.nibble.memory.Numa;
import io.nibble.memory.Region;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.nibble.log.RecordLayout.CAPACITY_OFFSET;
import static io.nibble.log.RecordLayout.FLAG_EXPIRES;
import static io.nibble.log.RecordLayout.HEADER;
import static io.nibble.log.RecordLayout.SEQUENCE_OFFSET;

/**
 * The engine behind {@link Nibble}: operations over the index, the per-node logs and the epoch table.
 *
 * <p>Protocol. Every operation pins an epoch slot before it touches the index or the log and unpins in
 * {@code finally}; nothing waits while pinned, so reclamation and {@link #close()} only ever wait for running
 * code. Writers append the record first (pinned, so the segment cannot be compacted before the record is
 * published), then publish it under the key's bucket lock, where they also move live bytes from the old record's
 * segment to the new one. Readers run the bucket's seqlock: read the version, find the record, copy the value,
 * and retry if the version changed; an in-place update happens under the lock, so a torn copy never validates.
 */
final class Store implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.nibble");
    private static final boolean OS_CPU = NativeMemory.hasCurrentCpu();

    private final long capacity;
    private final UpdateMode mode;
    private final long fullTimeoutNanos;
    private final long maxValueLength;
    private final Region region;
    private final LogMemory mem;
    private final SegmentTable segments;
    private final EpochTable epochs;
    private final NodeLog[] nodes;
    private final Compactor[] compactors;
    private final int[] cpuToNode;
    private final HashIndex index;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong fullRejections = new AtomicLong();
    /** Indexed records that carry an expiry (Redis's {@code expires=}); changed only under the key's bucket lock. */
    private final java.util.concurrent.atomic.LongAdder expiringKeys = new java.util.concurrent.atomic.LongAdder();
    /**
     * Sum of the expiries of the records {@link #expiringKeys} counts, each as whole seconds after the store opened
     * (clamped below 2^32, so two billion keys cannot overflow it): their mean is Redis's avg_ttl.
     */
    private final java.util.concurrent.atomic.LongAdder expirySum = new java.util.concurrent.atomic.LongAdder();
    private final long openedMillis = System.currentTimeMillis();
    /** Expired records that left the index or were written over: Redis's {@code expired_keys}. */
    private final java.util.concurrent.atomic.LongAdder expiredKeys = new java.util.concurrent.atomic.LongAdder();
    private volatile boolean open = true;

    Store(Nibble.Builder config) {
        this.mode = config.updateMode;
        this.fullTimeoutNanos = config.fullTimeoutNanos;
        int blockSize = config.blockSize;
        long totalBlocks = config.capacity / blockSize;
        this.capacity = totalBlocks * blockSize;
        int nodeCount = config.nodes;
        int segmentBlocks = config.segmentSize / blockSize;
        this.region = Region.anonymous(capacity);
        boolean ok = false;
        try {
            this.mem = new LogMemory(region, blockSize);
            this.segments = new SegmentTable((int) totalBlocks + 16);
            this.epochs = EpochTable.forMachine(config.epochStriping);
            int cpus = Runtime.getRuntime().availableProcessors();
            this.cpuToNode = Numa.cpuToNode(nodeCount, Math.max(cpus, 256));
            this.nodes = new NodeLog[nodeCount];
            long perNode = totalBlocks / nodeCount;
            int cpusPerNode = Math.max(1, cpus / nodeCount);
            int heads = config.headsPerNode > 0 ? config.headsPerNode
                    : (int) Math.max(1, Math.min(cpusPerNode, perNode / (8L * segmentBlocks)));
            long reservePerNode = reserveBlocks(perNode, segmentBlocks);
            boolean bindNodes = nodeCount > 1 && nodeCount == Numa.nodeCount();
            for (int n = 0; n < nodeCount; n++) {
                int first = (int) (n * perNode);
                int count = (int) (n == nodeCount - 1 ? totalBlocks - first : perNode);
                if (bindNodes && !NativeMemory.bindToNode(region.memory(), (long) first * blockSize,
                        (long) count * blockSize, n)) {
                    LOG.log(System.Logger.Level.WARNING, "mbind of node " + n + " failed: its log memory follows "
                            + "the default NUMA policy");
                }
                BlockAllocator allocator = new BlockAllocator(first, count, reservePerNode, cpusPerNode);
                nodes[n] = new NodeLog(n, mem, segments, allocator, epochs, heads, config.headSelection,
                        segmentBlocks);
            }
            if (nodeCount > 1 && !bindNodes) {
                LOG.log(System.Logger.Level.WARNING, nodeCount + " logical nodes requested but the OS reports "
                        + Numa.nodeCount() + ": nodes are not bound to memory");
            }
            // A value must fit one node's log, whatever the others hold.
            this.maxValueLength = Math.min(Nibble.MAX_VALUE_LENGTH, (perNode - reservePerNode) * blockSize / 4);
            long seed = ThreadLocalRandom.current().nextLong();
            this.index = new HashIndex(capacity / 2048, seed, mem, epochs);
            this.compactors = new Compactor[nodeCount];
            for (int n = 0; n < nodeCount; n++) {
                NodeLog node = nodes[n];
                compactors[n] = new Compactor(node, epochs, index,
                        (address, footprint, out, cpu) -> move(node, address, footprint, out, cpu),
                        this::expireIfDue, config.compactionThreads);
            }
            ok = true;
        } finally {
            if (!ok) {
                region.close();
            }
        }
        for (Compactor c : compactors) {
            c.start();
        }
    }

    /** Blocks held back for compaction: about 1.5% of the node, and at least two segments. */
    static long reserveBlocks(long nodeBlocks, int segmentBlocks) {
        long reserve = Math.max(nodeBlocks * 3 / 200, 2L * segmentBlocks);
        return Math.min(reserve, nodeBlocks / 8);
    }

    long maxValueLength() {
        return maxValueLength;
    }

    private static int cpu() {
        return OS_CPU ? NativeMemory.currentCpu() : (int) Thread.currentThread().threadId();
    }

    private int nodeOf(int cpu) {
        return nodes.length == 1 ? 0 : cpuToNode[(cpu & Integer.MAX_VALUE) % cpuToNode.length];
    }

    private void ensureOpen() {
        if (!open) {
            throw new IllegalStateException("store is closed");
        }
    }

    private void checkKey(Object key) {
        Bytes.checkReadable(key, "key");
        if (Bytes.length(key) > RecordLayout.MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key of " + Bytes.length(key) + " bytes exceeds the maximum of "
                    + RecordLayout.MAX_KEY_LENGTH);
        }
    }

    private void checkValue(Object value) {
        Bytes.checkReadable(value, "value");
        if (Bytes.length(value) > maxValueLength) {
            throw new IllegalArgumentException("value of " + Bytes.length(value) + " bytes exceeds this store's "
                    + "maximum of " + maxValueLength);
        }
    }

    // ------------------------------------------------------------------ writes

    void put(Object key, Object value, long expireAtMillis) {
        checkKey(key);
        checkValue(value);
        int flags = expireAtMillis > 0 ? FLAG_EXPIRES : 0;
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int cpu = cpu();
        int home = nodeOf(cpu);
        for (;;) {
            int slot = epochs.pin(cpu);
            try {
                ensureOpen();
                if (mode == UpdateMode.IN_PLACE && overwrite(hash, tag, key, value, flags, expireAtMillis)) {
                    return;
                }
                for (int i = 0; i < nodes.length; i++) { // write local; another node only when the local is full
                    long address = nodes[(home + i) % nodes.length].append(cpu, flags, key, value, expireAtMillis);
                    if (address >= 0) {
                        publish(hash, tag, key, address);
                        return;
                    }
                }
            } finally {
                epochs.unpin(slot);
            }
            long blocks = (RecordLayout.MAX_HEADER + Bytes.length(key) + Bytes.length(value)) / mem.blockSize() + 2;
            if (!compactors[home].awaitSpace(blocks, fullTimeoutNanos)) {
                ensureOpen();
                fullRejections.incrementAndGet();
                throw new NibbleFullException();
            }
        }
    }

    /** Locks the key's bucket and overwrites its record when the new value fits; false when it cannot. */
    private boolean overwrite(long hash, long tag, Object key, Object value, int flags,
                              long expireAtMillis) {
        BucketArray a = index.lock(hash);
        try {
            long slot = index.slotOf(a, hash, tag, key);
            return slot >= 0 && overwriteLocked(index.addressAt(a, slot), value, flags, expireAtMillis);
        } finally {
            index.unlock(a, hash);
        }
    }

    /**
     * With the key's bucket locked, writes the new value over the record at {@code address} when it fits. A value
     * that fits but would leave over a quarter of the record unused is appended at its own size instead, so
     * shrinking values cannot pin memory they no longer need.
     */
    private boolean overwriteLocked(long address, Object value, int flags, long expireAtMillis) {
        long meta = mem.getLong(address);
        int capacity = mem.getInt(address + CAPACITY_OFFSET);
        long length = Bytes.length(value);
        if ((RecordLayout.flags(meta) & FLAG_EXPIRES) != (flags & FLAG_EXPIRES)
                || length > capacity || capacity - length > Math.max(8, capacity >>> 2)) {
            return false;
        }
        countIfExpired(meta, address);
        mem.write(valueAddress(address, meta), value, length);
        if ((flags & FLAG_EXPIRES) != 0) {
            long change = expirySeconds(expireAtMillis) - expirySeconds(mem.getLong(address + HEADER));
            if (change != 0) {
                expirySum.add(change);
            }
            mem.putLong(address + HEADER, expireAtMillis);
            segments.noteExpiry(mem.segmentOf(address), expireAtMillis);
        }
        mem.putLong(address + SEQUENCE_OFFSET, mem.getLong(address + SEQUENCE_OFFSET) + 1);
        mem.putLong(address, RecordLayout.meta(flags, RecordLayout.keyLength(meta), (int) length));
        return true;
    }

    /** With the bucket locked: points {@code slot} at the new record and moves live bytes from the old one. */
    private void replaceLocked(BucketArray a, long slot, long tag, long address, long old) {
        mem.putLong(address + SEQUENCE_OFFSET, mem.getLong(old + SEQUENCE_OFFSET) + 1);
        index.set(a, slot, tag, address);
        segments.addLive(mem.segmentOf(address), footprint(address));
        segments.addLive(mem.segmentOf(old), -footprint(old));
        countExpiring(address, old);
        leaving(old);
    }

    /** With the bucket locked: indexes a new key's record and counts its bytes live; false when the chain is full. */
    private boolean insertLocked(BucketArray a, long hash, long tag, long address) {
        if (!index.insert(a, hash, tag, address)) {
            return false;
        }
        segments.addLive(mem.segmentOf(address), footprint(address));
        countExpiring(address, -1);
        return true;
    }

    /** With the bucket locked: drops the key's entry and counts its record's bytes dead. */
    private void removeLocked(BucketArray a, long hash, long slot, long old) {
        index.remove(a, hash, slot);
        segments.addLive(mem.segmentOf(old), -footprint(old));
        countExpiring(-1, old);
        leaving(old);
    }

    /**
     * An expiring record stops being live: its bytes leave its segment's expiring bytes, and if its expiry has
     * passed it counts as an expired key. Reads the clock only for expiring records.
     */
    private void leaving(long old) {
        long meta = mem.getLong(old);
        if ((RecordLayout.flags(meta) & FLAG_EXPIRES) != 0) {
            segments.dropExpiring(mem.segmentOf(old), footprint(old));
            countIfExpired(meta, old);
        }
    }

    /** Counts an expired record as it leaves the index or is written over. */
    private void countIfExpired(long meta, long address) {
        if (isExpired(meta, address)) {
            expiredKeys.increment();
        }
    }

    /**
     * Counts the expiry of the record at {@code added} in and that of {@code removed} out (either -1 for none).
     * Skips the adders when nothing changes: even adding 0 would CAS a line that every writer shares.
     */
    private void countExpiring(long added, long removed) {
        int addedExpires = expires(added);
        int removedExpires = expires(removed);
        if ((addedExpires | removedExpires) == 0) {
            return; // the common case: neither record has an expiry
        }
        if (addedExpires != removedExpires) {
            expiringKeys.add(addedExpires - removedExpires);
        }
        long sum = recordExpirySeconds(added) - recordExpirySeconds(removed);
        if (sum != 0) {
            expirySum.add(sum);
        }
    }

    /** 1 when the record carries an expiry, else 0 (also for -1, no record). */
    private int expires(long address) {
        return address >= 0 && (RecordLayout.flags(mem.getLong(address)) & FLAG_EXPIRES) != 0 ? 1 : 0;
    }

    /** The record's expiry as {@link #expirySum} counts it; 0 when it has none or for -1, no record. */
    private long recordExpirySeconds(long address) {
        return expires(address) != 0 ? expirySeconds(mem.getLong(address + HEADER)) : 0;
    }

    private long expirySeconds(long expireAtMillis) {
        return Math.clamp(Math.floorDiv(expireAtMillis - openedMillis, 1000), 0, (1L << 32) - 1);
    }

    /** Points the key's entry at the appended record, moving live bytes from the record it replaces. */
    private void publish(long hash, long tag, Object key, long address) {
        for (int attempt = 0; ; attempt++) {
            boolean inserted;
            BucketArray a = index.lock(hash);
            try {
                long slot = index.slotOf(a, hash, tag, key);
                if (slot >= 0) {
                    replaceLocked(a, slot, tag, address, index.addressAt(a, slot));
                    return;
                }
                // A fresh key starts from the clock, so it sorts after any earlier incarnation of the key.
                mem.putLong(address + SEQUENCE_OFFSET, System.nanoTime());
                inserted = insertLocked(a, hash, tag, address);
            } finally {
                index.unlock(a, hash);
            }
            if (inserted) {
                index.maybeGrow(hash);
                return;
            }
            if (attempt >= 8) {
                fullRejections.incrementAndGet();
                throw new NibbleFullException("hash index bucket chain cannot grow");
            }
            index.makeRoom(hash);
        }
    }

    /**
     * Reads, decides and writes one key atomically: every other operation on the key happens entirely before or
     * entirely after. The basis of put-if-absent, compare-and-set, get-and-set and read-modify-write.
     */
    void mutate(Object key, Update.Function mutator) {
        checkKey(key);
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int cpu = cpu();
        int home = nodeOf(cpu);
        int roomAttempts = 0;
        for (;;) {
            long neededBlocks = 0;
            boolean inserted = false;
            boolean needRoom = false;
            int slot = epochs.pin(cpu);
            try {
                ensureOpen();
                BucketArray a = index.lock(hash);
                try {
                    long entry = index.slotOf(a, hash, tag, key);
                    long old = entry >= 0 ? index.addressAt(a, entry) : -1;
                    byte[] current = null;
                    long expireAt = 0;
                    if (old >= 0) {
                        long meta = mem.getLong(old);
                        if (!isExpired(meta, old)) {
                            current = new byte[RecordLayout.valueLength(meta)];
                            mem.read(valueAddress(old, meta), current, 0, current.length);
                            if ((RecordLayout.flags(meta) & FLAG_EXPIRES) != 0) {
                                expireAt = mem.getLong(old + HEADER);
                            }
                        }
                    }
                    Update d = java.util.Objects.requireNonNull(mutator.apply(current, expireAt), "update");
                    if (d.kind() == Update.Kind.KEEP) {
                        if (old >= 0 && current == null) {
                            removeLocked(a, hash, entry, old); // expired: lazy expiry, as a read does
                        }
                        return;
                    }
                    if (d.kind() == Update.Kind.DELETE) {
                        if (old >= 0) {
                            removeLocked(a, hash, entry, old);
                        }
                        return;
                    }
                    checkValue(d.value());
                    int flags = d.expireAtMillis() > 0 ? FLAG_EXPIRES : 0;
                    if (old >= 0 && mode == UpdateMode.IN_PLACE
                            && overwriteLocked(old, d.value(), flags, d.expireAtMillis())) {
                        return;
                    }
                    long address = NodeLog.NO_SPACE;
                    for (int i = 0; i < nodes.length && address < 0; i++) {
                        address = nodes[(home + i) % nodes.length].append(cpu, flags, key, d.value(),
                                d.expireAtMillis());
                    }
                    if (address < 0) {
                        neededBlocks = (RecordLayout.MAX_HEADER + Bytes.length(key) + Bytes.length(d.value()))
                                / mem.blockSize() + 2;
                    } else if (old >= 0) {
                        replaceLocked(a, entry, tag, address, old);
                        return;
                    } else {
                        mem.putLong(address + SEQUENCE_OFFSET, System.nanoTime());
                        inserted = insertLocked(a, hash, tag, address);
                        if (!inserted) {
                            needRoom = true; // the appended record stays unpublished: dead bytes
                        }
                    }
                } finally {
                    index.unlock(a, hash);
                }
                if (needRoom) {
                    if (++roomAttempts > 8) {
                        fullRejections.incrementAndGet();
                        throw new NibbleFullException("hash index bucket chain cannot grow");
                    }
                    index.makeRoom(hash);
                }
            } finally {
                epochs.unpin(slot);
            }
            if (inserted) {
                index.maybeGrow(hash);
                return;
            }
            if (neededBlocks > 0 && !compactors[home].awaitSpace(neededBlocks, fullTimeoutNanos)) {
                ensureOpen();
                fullRejections.incrementAndGet();
                throw new NibbleFullException();
            }
        }
    }

    /**
     * Writes several keys as one step: no reader sees some of them written and others not, and with
     * {@code onlyIfNoneExist} nothing is written when any key is present (Redis's MSETNX). The keys' buckets are
     * locked in {@link HashIndex#compareLockOrder} order, so two such writes cannot deadlock, and the lock holder
     * never helps a resize or waits for space while holding them.
     *
     * @return true when the values were written
     */
    boolean putAll(Object[] keys, Object[] values, boolean onlyIfNoneExist) {
        if (keys.length != values.length) {
            throw new IllegalArgumentException("keys and values differ in number");
        }
        int n = keys.length;
        long[] hashes = new long[n];
        for (int i = 0; i < n; i++) {
            checkKey(keys[i]);
            checkValue(values[i]);
            hashes[i] = index.hash(keys[i]);
        }
        Integer[] order = lockOrder(hashes);
        int cpu = cpu();
        int home = nodeOf(cpu);
        BucketArray[] arrays = new BucketArray[n];
        boolean[] shared = new boolean[n];
        long[] addresses = new long[n];
        for (int attempt = 0; ; attempt++) {
            long neededBlocks = 0;
            long roomFor = 0;
            boolean needRoom = false;
            boolean written = false;
            int slot = epochs.pin(cpu);
            int locked = 0;
            try {
                ensureOpen();
                locked = lockAll(hashes, order, arrays, shared);
                // Later duplicates of a key win, as in MSET.
                if (onlyIfNoneExist) {
                    for (int i = 0; i < n; i++) {
                        long entry = index.slotOf(arrays[i], hashes[i], HashIndex.tag(hashes[i]), keys[i]);
                        if (entry >= 0) {
                            long address = index.addressAt(arrays[i], entry);
                            if (!isExpired(mem.getLong(address), address)) {
                                return false;
                            }
                        }
                    }
                }
                for (int i = 0; i < n; i++) {
                    addresses[i] = NodeLog.NO_SPACE;
                    for (int x = 0; x < nodes.length && addresses[i] < 0; x++) {
                        addresses[i] = nodes[(home + x) % nodes.length].append(cpu, 0, keys[i], values[i], 0);
                    }
                    if (addresses[i] < 0) {
                        neededBlocks = (RecordLayout.MAX_HEADER + Bytes.length(keys[i]) + Bytes.length(values[i]))
                                / mem.blockSize() + 2; // the records appended so far stay unpublished: dead bytes
                        break;
                    }
                }
                if (neededBlocks == 0) {
                    int failed = insertNewKeys(keys, hashes, arrays, addresses);
                    if (failed >= 0) {
                        needRoom = true;
                        roomFor = hashes[failed];
                    } else {
                        for (int i = 0; i < n; i++) {
                            long tag = HashIndex.tag(hashes[i]);
                            long entry = index.slotOf(arrays[i], hashes[i], tag, keys[i]);
                            long current = index.addressAt(arrays[i], entry);
                            if (current != addresses[i]) {
                                replaceLocked(arrays[i], entry, tag, addresses[i], current);
                            }
                        }
                        written = true;
                    }
                }
            } finally {
                unlockAll(hashes, order, arrays, shared, locked);
                epochs.unpin(slot);
            }
            if (written) {
                for (long hash : hashes) {
                    index.maybeGrow(hash);
                }
                return true;
            }
            if (needRoom) {
                if (attempt >= 8) {
                    fullRejections.incrementAndGet();
                    throw new NibbleFullException("hash index bucket chain cannot grow");
                }
                index.makeRoom(roomFor);
            } else if (!compactors[home].awaitSpace(neededBlocks, fullTimeoutNanos)) {
                ensureOpen();
                fullRejections.incrementAndGet();
                throw new NibbleFullException();
            }
        }
    }

    /** Positions of {@code hashes} sorted into {@link HashIndex#compareLockOrder}, the order to lock them in. */
    private static Integer[] lockOrder(long[] hashes) {
        Integer[] order = new Integer[hashes.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> HashIndex.compareLockOrder(hashes[x], hashes[y]));
        return order;
    }

    /**
     * Locks the bucket of every key, in {@code order}, without helping resizes (helping would lock buckets out of
     * order). Keys of one bucket are adjacent in that order and share its lock: {@code shared[j]} marks a position
     * that reuses the lock of the position before it.
     *
     * @return the number of positions locked, all of them
     */
    private int lockAll(long[] hashes, Integer[] order, BucketArray[] arrays, boolean[] shared) {
        for (int j = 0; j < order.length; j++) {
            int i = order[j];
            if (j > 0) {
                int previous = order[j - 1];
                BucketArray held = arrays[previous];
                shared[j] = (hashes[i] >>> 56) == (hashes[previous] >>> 56)
                        && held.bucketOf(hashes[i]) == held.bucketOf(hashes[previous]);
                if (shared[j]) {
                    arrays[i] = held;
                    continue;
                }
            }
            arrays[i] = index.lockWithoutHelping(hashes[i]);
        }
        return order.length;
    }

    private void unlockAll(long[] hashes, Integer[] order, BucketArray[] arrays, boolean[] shared, int locked) {
        for (int j = locked - 1; j >= 0; j--) {
            if (!shared[j]) {
                index.unlock(arrays[order[j]], hashes[order[j]]);
            }
        }
    }

    /**
     * Removes several keys as one step: no reader of several keys sees some removed and others not.
     *
     * @param removed when not null, set per key to whether it was present (an expired record is reclaimed but
     *                counts as absent, as for {@link #delete})
     * @return how many of the keys were present (a key given twice counts once)
     */
    long deleteAll(Object[] keys, boolean[] removed) {
        int n = keys.length;
        long[] hashes = new long[n];
        for (int i = 0; i < n; i++) {
            checkKey(keys[i]);
            hashes[i] = index.hash(keys[i]);
        }
        Integer[] order = lockOrder(hashes);
        BucketArray[] arrays = new BucketArray[n];
        boolean[] shared = new boolean[n];
        int slot = epochs.pin(cpu());
        int locked = 0;
        try {
            ensureOpen();
            locked = lockAll(hashes, order, arrays, shared);
            long live = 0;
            for (int i = 0; i < n; i++) {
                long entry = index.slotOf(arrays[i], hashes[i], HashIndex.tag(hashes[i]), keys[i]);
                boolean present = false;
                if (entry >= 0) {
                    long old = index.addressAt(arrays[i], entry);
                    present = !isExpired(mem.getLong(old), old);
                    live += present ? 1 : 0;
                    removeLocked(arrays[i], hashes[i], entry, old);
                }
                if (removed != null) {
                    removed[i] = present;
                }
            }
            return live;
        } finally {
            unlockAll(hashes, order, arrays, shared, locked);
            epochs.unpin(slot);
        }
    }

    /** Optimistic snapshot attempts before {@link #getAll} locks the keys' buckets instead. */
    private static final int SNAPSHOT_ATTEMPTS = 8;

    /**
     * Reads several keys as of one moment: a multi-key write is seen whole or not at all. Each key is read
     * optimistically, recording its bucket's version; when every version still holds after the last read, no
     * bucket changed during the whole interval, so all values were current together. After
     * {@value #SNAPSHOT_ATTEMPTS} failed attempts, as under a stream of writes to one of the keys, the keys'
     * buckets are locked and read instead.
     *
     * @return the values, null where a key is absent
     */
    byte[][] getAll(Object[] keys) {
        int n = keys.length;
        long[] hashes = new long[n];
        for (int i = 0; i < n; i++) {
            checkKey(keys[i]);
            hashes[i] = index.hash(keys[i]);
        }
        byte[][] values = new byte[n][];
        BucketArray[] arrays = new BucketArray[n];
        long[] versions = new long[n];
        int slot = epochs.pin(cpu());
        try {
            ensureOpen();
            for (int attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt++) {
                for (int i = 0; i < n; i++) {
                    BucketArray a = index.subtable(hashes[i]).current();
                    for (int spins = 0; ; ) {
                        long b = a.bucketOf(hashes[i]);
                        long v = a.versionAcquire(b);
                        if ((v & BucketArray.MOVED) != 0) {
                            a = a.successor();
                        } else if ((v & 1) != 0) {
                            backoff(spins++);
                        } else {
                            values[i] = readValue(a, b, HashIndex.tag(hashes[i]), keys[i], values[i]);
                            arrays[i] = a;
                            versions[i] = v;
                            break;
                        }
                    }
                }
                boolean unchanged = true;
                for (int i = 0; i < n && unchanged; i++) {
                    unchanged = arrays[i].validate(arrays[i].bucketOf(hashes[i]), versions[i]);
                }
                if (unchanged) {
                    return expireOnRead(keys, hashes, values);
                }
                backoff(attempt);
            }
            Integer[] order = lockOrder(hashes);
            boolean[] shared = new boolean[n];
            int locked = 0;
            try {
                locked = lockAll(hashes, order, arrays, shared);
                for (int i = 0; i < n; i++) {
                    values[i] = readValue(arrays[i], arrays[i].bucketOf(hashes[i]), HashIndex.tag(hashes[i]), keys[i],
                            values[i]);
                }
            } finally {
                unlockAll(hashes, order, arrays, shared, locked);
            }
            return expireOnRead(keys, hashes, values);
        } finally {
            epochs.unpin(slot);
        }
    }

    /** What {@link #readValue} answers for a key whose record has expired; compared by identity. */
    private static final byte[] EXPIRED = new byte[0];

    /**
     * The value of {@code key} in {@code bucket} of {@code a}, null when absent or {@link #EXPIRED}, reusing
     * {@code reuse} when it has the right length. Under the bucket's lock the result is exact; without it the caller
     * validates the bucket's version afterwards and retries on a change.
     */
    private byte[] readValue(BucketArray a, long bucket, long tag, Object key, byte[] reuse) {
        long address = index.find(a, bucket, tag, key);
        if (address < 0) {
            return null;
        }
        long meta = mem.getLong(address);
        if (isExpired(meta, address)) {
            return EXPIRED;
        }
        int length = RecordLayout.valueLength(meta);
        byte[] out = reuse != null && reuse != EXPIRED && reuse.length == length ? reuse : new byte[length];
        mem.read(valueAddress(address, meta), out, 0, length);
        return out;
    }

    /**
     * With every key's bucket locked: inserts the keys not yet in the index, all or none. An insert can fail when a
     * bucket chain cannot grow; the keys inserted before it are then removed again, which no reader can observe
     * because readers wait for locked buckets.
     *
     * @return -1 when every new key was inserted, else the position of the key whose insert failed
     */
    private int insertNewKeys(Object[] keys, long[] hashes, BucketArray[] arrays, long[] addresses) {
        int n = keys.length;
        for (int i = 0; i < n; i++) {
            long tag = HashIndex.tag(hashes[i]);
            if (index.slotOf(arrays[i], hashes[i], tag, keys[i]) >= 0) {
                continue; // present, or inserted earlier in this call: replaced afterwards, so later duplicates win
            }
            mem.putLong(addresses[i] + SEQUENCE_OFFSET, System.nanoTime());
            if (!insertLocked(arrays[i], hashes[i], tag, addresses[i])) {
                for (int j = i - 1; j >= 0; j--) {
                    long t = HashIndex.tag(hashes[j]);
                    long slot = index.slotOf(arrays[j], hashes[j], t, keys[j]);
                    if (slot >= 0 && index.addressAt(arrays[j], slot) == addresses[j]) {
                        removeLocked(arrays[j], hashes[j], slot, addresses[j]);
                    }
                }
                return i;
            }
        }
        return -1;
    }

    /**
     * Visits up to {@code count} index buckets from {@code cursor}, passing the keys found to {@code action}.
     * Buckets are visited in increasing order within each subtable; a subtable that grows keeps every key of the
     * unvisited buckets at or above the cursor's position, so a key present for a whole scan is seen at least once
     * (possibly more often).
     *
     * @return the cursor to continue from, or 0 when the scan is complete
     */
    long scan(long cursor, int count, java.util.function.Consumer<byte[]> action) {
        return scan(cursor, count, false, action);
    }

    /** As {@link #scan(long, int, java.util.function.Consumer)}, optionally passing expired keys too. */
    long scan(long cursor, int count, boolean includeExpired, java.util.function.Consumer<byte[]> action) {
        if (cursor < 0) {
            throw new IllegalArgumentException("invalid cursor: " + cursor);
        }
        java.util.List<byte[]> found = new java.util.ArrayList<>();
        long next;
        int slot = epochs.pin(cpu());
        try {
            ensureOpen();
            long now = System.currentTimeMillis();
            next = index.scan(cursor, Math.max(1, count), address -> {
                long meta = mem.getLong(address);
                if (!includeExpired && (RecordLayout.flags(meta) & FLAG_EXPIRES) != 0
                        && mem.getLong(address + HEADER) <= now) {
                    return;
                }
                byte[] key = new byte[RecordLayout.keyLength(meta)];
                mem.read(mem.advance(address, RecordLayout.headerLength(RecordLayout.flags(meta))), key, 0,
                        key.length);
                found.add(key);
            });
        } finally {
            epochs.unpin(slot);
        }
        found.forEach(action);
        return next;
    }

    boolean delete(Object key) {
        checkKey(key);
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int slot = epochs.pin(cpu());
        try {
            ensureOpen();
            BucketArray a = index.lock(hash);
            try {
                long entry = index.slotOf(a, hash, tag, key);
                if (entry < 0) {
                    return false;
                }
                long old = index.addressAt(a, entry);
                boolean expired = isExpired(mem.getLong(old), old);
                removeLocked(a, hash, entry, old);
                return !expired;
            } finally {
                index.unlock(a, hash);
            }
        } finally {
            epochs.unpin(slot);
        }
    }

    /**
     * The key of a record in a segment a compactor has claimed: a view of the log where the key lies in one block
     * (the segment stays mapped while claimed), else a copy.
     */
    private Object keyOf(long address, long meta) {
        int keyLength = RecordLayout.keyLength(meta);
        long keyAddress = mem.advance(address, RecordLayout.headerLength(RecordLayout.flags(meta)));
        if (mem.offsetInBlock(keyAddress) + keyLength <= mem.blockSize()) {
            return mem.memory().asSlice(keyAddress, keyLength);
        }
        byte[] keyBytes = new byte[keyLength];
        mem.read(keyAddress, keyBytes, 0, keyLength);
        return keyBytes;
    }

    /**
     * Lazy expiry, as Redis expires a key it looks up: a read that found the key's record expired removes it, so its
     * bytes count dead at once and it counts as an expired key. The expiry is read again under the bucket lock, as
     * an update may have moved it since the read. The caller holds an epoch pin.
     */
    private void expireOnRead(long hash, long tag, Object key) {
        Runnable hook = expiredReadHook;
        if (hook != null) {
            hook.run();
        }
        BucketArray a = index.lock(hash);
        try {
            long entry = index.slotOf(a, hash, tag, key);
            if (entry >= 0) {
                long address = index.addressAt(a, entry);
                if (isExpired(mem.getLong(address), address)) {
                    removeLocked(a, hash, entry, address);
                }
            }
        } finally {
            index.unlock(a, hash);
        }
    }

    /** Tests only: runs after a read found a key expired, before it locks the bucket to remove it. */
    private volatile Runnable expiredReadHook;

    void onExpiredRead(Runnable hook) {
        expiredReadHook = hook;
    }

    /** {@link #getAll}'s answer: {@link #EXPIRED} values become null once their keys are expired. */
    private byte[][] expireOnRead(Object[] keys, long[] hashes, byte[][] values) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == EXPIRED) {
                values[i] = null;
                expireOnRead(hashes[i], HashIndex.tag(hashes[i]), keys[i]);
            }
        }
        return values;
    }

    /** Active expiry: drops one record of a claimed segment if it expired and the index still references it. */
    private long expireIfDue(long address, long nowMillis, int cpu) {
        long meta = mem.getLong(address);
        if ((RecordLayout.flags(meta) & (RecordLayout.FLAG_TOMBSTONE | FLAG_EXPIRES)) != FLAG_EXPIRES) {
            return Long.MAX_VALUE; // never indexed, or nothing to expire
        }
        long unlocked = mem.getLong(address + HEADER);
        if (unlocked > nowMillis) {
            // Not due: no need to find the key. An in-place update racing with this read lowers the segment's
            // earliest expiry itself (SegmentTable.noteExpiry), so a stale value here delays nothing.
            return unlocked;
        }
        Object key = keyOf(address, meta);
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int slot = epochs.pin(cpu);
        try {
            BucketArray a = index.lock(hash);
            try {
                long entry = index.slotOf(a, hash, tag, key);
                if (entry < 0 || index.addressAt(a, entry) != address) {
                    return Long.MAX_VALUE;
                }
                // Read again under the lock: an in-place update may have moved the expiry later since.
                long expireAt = mem.getLong(address + HEADER);
                if (expireAt > nowMillis) {
                    return expireAt;
                }
                removeLocked(a, hash, entry, address);
                return Compactor.RecordExpirer.REMOVED;
            } finally {
                index.unlock(a, hash);
            }
        } finally {
            epochs.unpin(slot);
        }
    }

    /** Compaction: relocates one record if the index still references it. Runs on a compactor thread. */
    private Compactor.Outcome move(NodeLog node, long address, long footprint, Appender out, int cpu) {
        long meta = mem.getLong(address);
        if ((RecordLayout.flags(meta) & RecordLayout.FLAG_TOMBSTONE) != 0) {
            return Compactor.Outcome.DEAD; // space of a write that failed half way; never indexed
        }
        Object key = keyOf(address, meta);
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int slot = epochs.pin(cpu);
        try {
            BucketArray a = index.lock(hash);
            try {
                long entry = index.slotOf(a, hash, tag, key);
                if (entry < 0 || index.addressAt(a, entry) != address) {
                    return Compactor.Outcome.DEAD;
                }
                if (isExpired(mem.getLong(address), address)) {
                    removeLocked(a, hash, entry, address);
                    return Compactor.Outcome.DEAD;
                }
                long to = node.relocate(out, address, footprint, cpu);
                if (to < 0) {
                    return Compactor.Outcome.NO_SPACE;
                }
                index.set(a, entry, tag, to);
                segments.addLive(mem.segmentOf(to), footprint);
                segments.addLive(mem.segmentOf(address), -footprint);
                if ((RecordLayout.flags(mem.getLong(address)) & FLAG_EXPIRES) != 0) {
                    segments.dropExpiring(mem.segmentOf(address), footprint); // the copy counted in its new segment
                }
                return Compactor.Outcome.MOVED;
            } finally {
                index.unlock(a, hash);
            }
        } finally {
            epochs.unpin(slot);
        }
    }

    // ------------------------------------------------------------------ reads

    long get(Object key, MemorySegment into) {
        checkKey(key);
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int slot = epochs.pin(cpu());
        try {
            ensureOpen();
            BucketArray a = index.subtable(hash).current();
            for (int spins = 0; ; ) {
                long b = a.bucketOf(hash);
                long v = a.versionAcquire(b);
                if ((v & BucketArray.MOVED) != 0) {
                    a = a.successor();
                    continue;
                }
                if ((v & 1) != 0) {
                    backoff(spins++);
                    continue;
                }
                long address = index.find(a, b, tag, key);
                long length = -1;
                boolean expired = false;
                if (address >= 0) {
                    long meta = mem.getLong(address);
                    expired = isExpired(meta, address);
                    if (!expired) {
                        length = RecordLayout.valueLength(meta);
                        long n = Math.min(length, into.byteSize());
                        if (n > 0) {
                            mem.read(valueAddress(address, meta), into, 0, n);
                        }
                    }
                }
                if (a.validate(b, v)) {
                    if (expired) {
                        expireOnRead(hash, tag, key);
                    }
                    return length;
                }
            }
        } finally {
            epochs.unpin(slot);
        }
    }

    byte[] get(Object key) {
        checkKey(key);
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int slot = epochs.pin(cpu());
        try {
            ensureOpen();
            BucketArray a = index.subtable(hash).current();
            byte[] out = null;
            for (int spins = 0; ; ) {
                long b = a.bucketOf(hash);
                long v = a.versionAcquire(b);
                if ((v & BucketArray.MOVED) != 0) {
                    a = a.successor();
                    continue;
                }
                if ((v & 1) != 0) {
                    backoff(spins++);
                    continue;
                }
                byte[] result = readValue(a, b, tag, key, out);
                if (result != null && result != EXPIRED) {
                    out = result; // a retry reuses the array when the length holds
                }
                if (a.validate(b, v)) {
                    if (result == EXPIRED) {
                        expireOnRead(hash, tag, key);
                        return null;
                    }
                    return result;
                }
            }
        } finally {
            epochs.unpin(slot);
        }
    }

    boolean contains(Object key) {
        return readValidated(key, address -> address >= 0 ? 1 : 0) == 1;
    }

    /** Bytes the key's record takes in the log plus its index entry; -1 when the key is absent. */
    long memoryUsage(Object key) {
        return readValidated(key, address -> address >= 0 ? footprint(address) + Long.BYTES : -1);
    }

    /**
     * Applies {@code ofRecord} to the key's record address (-1 when absent or expired) without locking, and
     * returns its result once the bucket's version shows nothing changed meanwhile. {@code ofRecord} must only
     * read, as it may see a record being replaced and run again.
     */
    private long readValidated(Object key, java.util.function.LongUnaryOperator ofRecord) {
        checkKey(key);
        long hash = index.hash(key);
        long tag = HashIndex.tag(hash);
        int slot = epochs.pin(cpu());
        try {
            ensureOpen();
            BucketArray a = index.subtable(hash).current();
            for (int spins = 0; ; ) {
                long b = a.bucketOf(hash);
                long v = a.versionAcquire(b);
                if ((v & BucketArray.MOVED) != 0) {
                    a = a.successor();
                    continue;
                }
                if ((v & 1) != 0) {
                    backoff(spins++);
                    continue;
                }
                long address = index.find(a, b, tag, key);
                boolean expired = address >= 0 && isExpired(mem.getLong(address), address);
                long result = ofRecord.applyAsLong(expired ? -1 : address);
                if (a.validate(b, v)) {
                    if (expired) {
                        expireOnRead(hash, tag, key);
                    }
                    return result;
                }
            }
        } finally {
            epochs.unpin(slot);
        }
    }

    private static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private long valueAddress(long address, long meta) {
        long skip = RecordLayout.headerLength(RecordLayout.flags(meta)) + (long) RecordLayout.keyLength(meta);
        if (mem.offsetInBlock(address) + skip < mem.blockSize()) {
            return address + skip;
        }
        return mem.advance(address, skip);
    }

    private long footprint(long address) {
        long meta = mem.getLong(address);
        return RecordLayout.footprint(RecordLayout.headerLength(RecordLayout.flags(meta)),
                RecordLayout.keyLength(meta), mem.getInt(address + CAPACITY_OFFSET));
    }

    private boolean isExpired(long meta, long address) {
        return (RecordLayout.flags(meta) & FLAG_EXPIRES) != 0
                && mem.getLong(address + HEADER) <= System.currentTimeMillis();
    }

    // ------------------------------------------------------------------ state

    long size() {
        ensureOpen();
        return index.size();
    }

    /** Mean expiry (epoch ms, to the second) of the indexed records that have one; 0 when none has. */
    private long meanExpiry() {
        return meanExpiryMillis(openedMillis, expirySum.sum(), expiringKeys.sum());
    }

    /** {@code openedMillis} plus the mean of {@code count} expiries summed in seconds; 0 for no expiries. */
    static long meanExpiryMillis(long openedMillis, long sumSeconds, long count) {
        if (count <= 0) {
            return 0;
        }
        // Scaled to ms only after dividing: sumSeconds * 1000 could overflow.
        return openedMillis + sumSeconds / count * 1000 + sumSeconds % count * 1000 / count;
    }

    NibbleStats stats() {
        int slot = epochs.pin(cpu());
        try {
            ensureOpen();
            long live = 0;
            long inUse = 0;
            for (int id = 0; id < segments.capacity(); id++) {
                if (segments.state(id) != SegmentTable.FREE) {
                    live += segments.live(id);
                    inUse++;
                }
            }
            long used = 0;
            long reserve = 0;
            long compacted = 0;
            long relocated = 0;
            for (NodeLog n : nodes) {
                used += n.allocator().allocatedBlocks() * mem.blockSize();
                reserve += n.allocator().reserveBlocks() * mem.blockSize();
            }
            for (Compactor c : compactors) {
                compacted += c.compactedSegments();
                relocated += c.relocatedBytes();
            }
            long indexResident = index.residentBytes();
            long logResident = region.residentBytes();
            long resident = logResident < 0 || indexResident < 0
                    ? used + index.bucketBytes() : logResident + indexResident;
            return new NibbleStats(index.size(), live, used, capacity, resident, compacted,
                    indexResident < 0 ? index.bucketBytes() : indexResident, inUse, relocated,
                    fullRejections.get(), reserve, index.resizes(), expiringKeys.sum(),
                    expiredKeys.sum(), meanExpiry());
        } finally {
            epochs.unpin(slot);
        }
    }

    /**
     * Walks every segment and the whole index, stopping compaction meanwhile, and checks that live bytes match the
     * index and every block is owned exactly once. Call with no operation running.
     *
     * @return a human-readable summary
     * @throws IllegalStateException describing the first broken invariant
     */
    String verify() {
        ensureOpen();
        for (Compactor c : compactors) {
            c.stop();
        }
        try {
            for (NodeLog n : nodes) {
                n.sealHeads();
            }
            int slot = epochs.pin(cpu());
            try {
                index.finishAllResizes();
                long[] addresses = new long[(int) index.size()];
                int[] count = {0};
                index.forEachAddress(addr -> {
                    if (count[0] == addresses.length) {
                        throw new IllegalStateException("index holds more entries than its key count");
                    }
                    addresses[count[0]++] = addr;
                });
                if (count[0] != addresses.length) {
                    throw new IllegalStateException("index count " + addresses.length + " but " + count[0]
                            + " entries");
                }
                long expiring = 0;
                long expiries = 0;
                for (long address : addresses) {
                    expiring += expires(address);
                    expiries += recordExpirySeconds(address);
                }
                if (expiring != expiringKeys.sum()) {
                    throw new IllegalStateException(expiring + " indexed records carry an expiry but "
                            + expiringKeys.sum() + " are counted");
                }
                if (expiries != expirySum.sum()) {
                    throw new IllegalStateException("the indexed records' expiries sum to " + expiries + " but "
                            + expirySum.sum() + " are counted");
                }
                java.util.Arrays.sort(addresses);
                int[] owner = new int[mem.blockCount()];
                java.util.Arrays.fill(owner, -1);
                long chained = 0;
                long totalLive = 0;
                long seen = 0;
                for (int id = 0; id < segments.capacity(); id++) {
                    int state = segments.state(id);
                    if (state == SegmentTable.FREE) {
                        continue;
                    }
                    int blocks = 0;
                    for (int b = segments.firstBlock(id); b >= 0; b = mem.nextBlock(b)) {
                        if (owner[b] != -1) {
                            throw new IllegalStateException("block " + b + " chained by segments " + owner[b]
                                    + " and " + id);
                        }
                        if (mem.owner(b) != id) {
                            throw new IllegalStateException("block " + b + " of segment " + id + " owned by "
                                    + mem.owner(b));
                        }
                        owner[b] = id;
                        blocks++;
                    }
                    if (blocks != segments.blocks(id)) {
                        throw new IllegalStateException("segment " + id + " chains " + blocks + " blocks, table "
                                + segments.blocks(id));
                    }
                    chained += blocks;
                    long[] liveHere = {0};
                    long[] indexed = {0};
                    if (state != SegmentTable.OPEN) {
                        nodes[segments.node(id)].walk(id, segments.endBlock(id), segments.endOffset(id),
                                (address, meta, footprint) -> {
                                    if (java.util.Arrays.binarySearch(addresses, address) >= 0) {
                                        liveHere[0] += footprint;
                                        indexed[0]++;
                                    }
                                    return true;
                                });
                    }
                    seen += indexed[0];
                    if (state != SegmentTable.OPEN && liveHere[0] != segments.live(id)) {
                        throw new IllegalStateException("segment " + id + " (state " + state + ") counts "
                                + segments.live(id) + " live bytes but its indexed records hold " + liveHere[0]);
                    }
                    totalLive += segments.live(id);
                }
                long allocated = 0;
                for (NodeLog n : nodes) {
                    allocated += n.allocator().allocatedBlocks();
                    if (n.allocator().allocatedBlocks() != n.allocator().countAllocatedBits()) {
                        throw new IllegalStateException("allocator counter disagrees with its bitmap");
                    }
                }
                for (int b = 0; b < owner.length; b++) {
                    boolean allocatedBit = nodes[nodeOfBlock(b)].allocator().isAllocated(b);
                    if (allocatedBit != (owner[b] >= 0)) {
                        throw new IllegalStateException("block " + b + (allocatedBit ? " leaked" : " chained but free"));
                    }
                }
                if (allocated != chained) {
                    throw new IllegalStateException(allocated + " blocks allocated but " + chained + " chained");
                }
                if (seen != addresses.length) {
                    throw new IllegalStateException(addresses.length + " indexed records but " + seen
                            + " found in sealed segments");
                }
                return "keys=" + addresses.length + " liveBytes=" + totalLive + " blocks=" + chained;
            } finally {
                epochs.unpin(slot);
            }
        } finally {
            for (Compactor c : compactors) {
                c.start();
            }
        }
    }

    private int nodeOfBlock(int block) {
        for (int n = nodes.length - 1; n > 0; n--) {
            if (block >= nodes[n].allocator().firstBlock()) {
                return n;
            }
        }
        return 0;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        open = false;
        for (Compactor c : compactors) {
            c.stop();
        }
        // Operations that pinned before they saw the flag finish; none start. Unmapping waits for them.
        for (int spins = 0; !epochs.isQuiescent(); spins++) {
            if (spins < 1000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(100_000);
            }
        }
        index.close();
        region.close();
    }

    boolean isClosed() {
        return !open;
    }
}
