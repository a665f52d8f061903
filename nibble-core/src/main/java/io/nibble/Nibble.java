package io.nibble;

import io.nibble.log.HeadSelection;
import io.nibble.memory.Numa;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;

/**
 * A concurrent, log-structured, off-heap key-value store.
 *
 * <p>Keys and values are byte strings. Data lives outside the Java heap in memory the OS provides lazily and takes
 * back as compaction frees it, so the store adds no GC work and its resident memory follows its live data.
 * Every method is thread-safe; reads never block writers and see either the old or the new value of a key whose
 * put is in progress, never a mix.
 *
 * <pre>{@code
 * try (Nibble store = Nibble.builder().capacity(256L << 20).build()) {
 *     store.put("k".getBytes(), "v".getBytes());
 *     byte[] v = store.get("k".getBytes());
 * }
 * }</pre>
 *
 * <p>Limits: keys up to {@value #MAX_KEY_LENGTH} bytes; values up to {@value #MAX_VALUE_LENGTH} bytes and at most a
 * quarter of the store's usable capacity ({@link #maxValueLength()}). Larger arguments throw
 * {@link IllegalArgumentException} and change nothing. A put that finds no room after compaction throws
 * {@link NibbleFullException}. After {@link #close()} every other method throws {@link IllegalStateException}.
 */
public final class Nibble implements AutoCloseable {
    /** Largest key in bytes. */
    public static final int MAX_KEY_LENGTH = 65_535;
    /** Largest value in bytes, in any store (512 MiB, as in Redis). */
    public static final long MAX_VALUE_LENGTH = 512L << 20;

    private final Store store;

    private Nibble(Builder builder) {
        this.store = new Store(builder);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Inserts or replaces the value of {@code key}. */
    public void put(byte[] key, byte[] value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        store.put(key, value, 0);
    }

    /** The value of {@code key}, or null when absent. */
    public byte[] get(byte[] key) {
        Objects.requireNonNull(key, "key");
        return store.get((Object) key);
    }

    /** Removes {@code key}; true when it existed. */
    public boolean delete(byte[] key) {
        Objects.requireNonNull(key, "key");
        return store.delete((Object) key);
    }

    public boolean contains(byte[] key) {
        Objects.requireNonNull(key, "key");
        return store.contains((Object) key);
    }

    /** Number of live keys. */
    public long size() {
        return store.size();
    }

    /** Inserts or replaces; the key is {@code key.byteSize()} bytes and the value {@code value.byteSize()}. */
    public void put(MemorySegment key, MemorySegment value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        store.put(key, value, 0);
    }

    /**
     * Copies the value of {@code key} into {@code into}.
     *
     * @return the value's length, or -1 when absent; {@code min(length, into.byteSize())} bytes were copied
     */
    public long get(MemorySegment key, MemorySegment into) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(into, "into");
        return store.get(key, into);
    }

    /**
     * Copies the value of {@code key} into {@code into}, with no allocation: a server can read a value straight into
     * its network buffer.
     *
     * @return the value's length, or -1 when absent; {@code min(length, into.byteSize())} bytes were copied, so a
     *         length above {@code into.byteSize()} means the copy was cut short and should be retried larger
     */
    public long get(byte[] key, MemorySegment into) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(into, "into");
        return store.get((Object) key, into);
    }

    public boolean delete(MemorySegment key) {
        Objects.requireNonNull(key, "key");
        return store.delete(key);
    }

    public boolean contains(MemorySegment key) {
        Objects.requireNonNull(key, "key");
        return store.contains(key);
    }

    // ------------------------------------------------------------------ atomic operations

    /**
     * Stores {@code value} only when {@code key} is absent.
     *
     * @return true when the value was stored
     */
    public boolean putIfAbsent(byte[] key, byte[] value) {
        Objects.requireNonNull(value, "value");
        boolean[] stored = {false};
        store.mutate(requireKey(key), (current, expireAt) -> {
            stored[0] = current == null;
            return current == null ? Update.put(value, 0) : Update.keep();
        });
        return stored[0];
    }

    /**
     * Replaces the value of {@code key} only when it is present, keeping no expiry.
     *
     * @return true when the key was present and now holds {@code value}
     */
    public boolean replace(byte[] key, byte[] value) {
        Objects.requireNonNull(value, "value");
        boolean[] replaced = {false};
        store.mutate(requireKey(key), (current, expireAt) -> {
            replaced[0] = current != null;
            return current != null ? Update.put(value, 0) : Update.keep();
        });
        return replaced[0];
    }

    /**
     * Compare-and-set: replaces the value of {@code key} only when it currently equals {@code expected}. The key
     * keeps its expiry.
     *
     * @return true when the value was replaced
     */
    public boolean replace(byte[] key, byte[] expected, byte[] value) {
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(value, "value");
        boolean[] replaced = {false};
        store.mutate(requireKey(key), (current, expireAt) -> {
            replaced[0] = current != null && java.util.Arrays.equals(current, expected);
            return replaced[0] ? Update.put(value, expireAt) : Update.keep();
        });
        return replaced[0];
    }

    /**
     * Stores {@code value} (without expiry) and returns the previous value, or null when the key was absent.
     */
    public byte[] getAndPut(byte[] key, byte[] value) {
        Objects.requireNonNull(value, "value");
        byte[][] previous = {null};
        store.mutate(requireKey(key), (current, expireAt) -> {
            previous[0] = current;
            return Update.put(value, 0);
        });
        return previous[0];
    }

    /** Removes {@code key} and returns its value, or null when it was absent. */
    public byte[] getAndDelete(byte[] key) {
        byte[][] previous = {null};
        store.mutate(requireKey(key), (current, expireAt) -> {
            previous[0] = current;
            return current == null ? Update.keep() : Update.delete();
        });
        return previous[0];
    }

    /**
     * Atomically replaces the value of {@code key} with {@code remapping.apply(current)}, where {@code current} is
     * null when the key is absent; a null result deletes the key. The key keeps its expiry. The function runs while
     * the key is locked: keep it short, do not call the store from it, and expect it to run more than once when the
     * store must first wait for space.
     *
     * @return the new value, or null when the key is now absent
     */
    public byte[] compute(byte[] key, java.util.function.UnaryOperator<byte[]> remapping) {
        Objects.requireNonNull(remapping, "remapping");
        byte[][] result = {null};
        store.mutate(requireKey(key), (current, expireAt) -> {
            byte[] next = remapping.apply(current);
            result[0] = next;
            if (next == null) {
                return current == null ? Update.keep() : Update.delete();
            }
            return Update.put(next, expireAt);
        });
        return result[0];
    }

    /**
     * Reads, decides and writes one key atomically: {@code function} sees the key's value (null when absent) and
     * expiry, and returns what to do; no other operation on the key happens in between. The function runs while
     * the key is locked: keep it short, do not call the store from it, and expect it to run more than once when
     * the store must first wait for space. Exceptions it throws propagate and change nothing.
     */
    public void update(byte[] key, Update.Function function) {
        Objects.requireNonNull(function, "function");
        store.mutate(requireKey(key), function);
    }

    // ------------------------------------------------------------------ expiry

    /**
     * Inserts or replaces the value of {@code key}, expiring at {@code expireAtMillis} (epoch milliseconds; 0 for
     * never). An expired key reads as absent. It leaves the store when a read or an update finds it expired (as
     * Redis expires a key on access), when the background sweep reaches its segment, or when compaction does.
     */
    public void put(byte[] key, byte[] value, long expireAtMillis) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (expireAtMillis < 0) {
            throw new IllegalArgumentException("expiry must be epoch milliseconds or 0: " + expireAtMillis);
        }
        store.put(key, value, expireAtMillis);
    }

    /**
     * Sets when {@code key} expires (epoch milliseconds), or removes its expiry with 0.
     *
     * @return false when the key is absent
     */
    public boolean expireAt(byte[] key, long expireAtMillis) {
        if (expireAtMillis < 0) {
            throw new IllegalArgumentException("expiry must be epoch milliseconds or 0: " + expireAtMillis);
        }
        boolean[] present = {false};
        store.mutate(requireKey(key), (current, expireAt) -> {
            present[0] = current != null;
            if (current == null || expireAt == expireAtMillis) {
                return Update.keep();
            }
            return Update.put(current, expireAtMillis);
        });
        return present[0];
    }

    /**
     * When {@code key} expires.
     *
     * @return epoch milliseconds; -1 when the key has no expiry; -2 when it is absent (as Redis's PTTL)
     */
    public long expiresAt(byte[] key) {
        long[] result = {-2};
        store.mutate(requireKey(key), (current, expireAt) -> {
            result[0] = current == null ? -2 : expireAt == 0 ? -1 : expireAt;
            return Update.keep();
        });
        return result[0];
    }

    // ------------------------------------------------------------------ iteration

    /**
     * Continues a scan of the keys: visits about {@code count} index buckets from {@code cursor} (0 starts a
     * scan) and passes each key found to {@code action}. A key present for the whole scan is passed at least
     * once; keys added or removed meanwhile may or may not be, and a key may be passed more than once.
     *
     * @return the cursor for the next call, or 0 when the scan is complete
     */
    public long scan(long cursor, int count, java.util.function.Consumer<byte[]> action) {
        Objects.requireNonNull(action, "action");
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        return store.scan(cursor, count, action);
    }

    /**
     * Writes all pairs as one step: no reader sees some written and others not (a key given twice takes its last
     * value).
     */
    public void putAll(byte[][] keys, byte[][] values) {
        store.putAll(requireAll(keys, "keys"), requireAll(values, "values"), false);
    }

    /**
     * Writes all pairs as one step only when none of the keys is present (Redis's MSETNX).
     *
     * @return true when the pairs were written
     */
    public boolean putAllIfAbsent(byte[][] keys, byte[][] values) {
        return store.putAll(requireAll(keys, "keys"), requireAll(values, "values"), true);
    }

    /**
     * Reads several keys as of one moment: a {@link #putAll} or {@link #deleteAll} is seen whole or not at all
     * (Redis's MGET).
     *
     * @return the values in the order of the keys, null where a key is absent
     */
    public byte[][] getAll(byte[][] keys) {
        return store.getAll(requireAll(keys, "keys"));
    }

    /**
     * Removes several keys as one step: no {@link #getAll} sees some of them removed and others not (Redis's DEL
     * with several keys).
     *
     * @return how many distinct keys were present
     */
    public long deleteAll(byte[][] keys) {
        return store.deleteAll(requireAll(keys, "keys"), null);
    }

    /**
     * {@link #deleteAll(byte[][])}, also telling which keys it removed: {@code removed[i]} is set when
     * {@code keys[i]} was present. An expired record is reclaimed too but counts as absent, as for {@link #delete}.
     *
     * @param removed as long as {@code keys}, filled in by this call
     */
    public long deleteAll(byte[][] keys, boolean[] removed) {
        if (removed.length != keys.length) {
            throw new IllegalArgumentException("removed has " + removed.length + " slots for " + keys.length + " keys");
        }
        return store.deleteAll(requireAll(keys, "keys"), removed);
    }

    /**
     * Bytes {@code key} takes in the store: its record in the log (header, key, value and the room reserved for
     * in-place growth) plus its index entry; -1 when the key is absent (Redis's MEMORY USAGE).
     */
    public long memoryUsage(byte[] key) {
        return store.memoryUsage(requireKey(key));
    }

    private static byte[][] requireAll(byte[][] arrays, String what) {
        Objects.requireNonNull(arrays, what);
        for (byte[] a : arrays) {
            Objects.requireNonNull(a, what);
        }
        return arrays;
    }

    /**
     * Removes every key, expired ones included. Keys written while it runs may survive; each key present
     * throughout is removed.
     *
     * @return the number of keys removed that had not expired
     */
    public long clear() {
        return clear(key -> { });
    }

    /**
     * Removes every key as {@link #clear()} does, and passes each removed key that had not expired to
     * {@code removedKey} (what Redis's FLUSHALL needs to break the WATCHes on keys that existed).
     *
     * @return the number of keys removed that had not expired
     */
    public long clear(java.util.function.Consumer<byte[]> removedKey) {
        Objects.requireNonNull(removedKey, "removedKey");
        long removed = 0;
        long cursor = 0;
        do {
            java.util.List<byte[]> keys = new java.util.ArrayList<>();
            cursor = store.scan(cursor, 1024, true, keys::add);
            for (byte[] key : keys) {
                if (store.delete((Object) key)) {
                    removed++;
                    removedKey.accept(key);
                }
            }
        } while (cursor != 0);
        return removed;
    }

    private static byte[] requireKey(byte[] key) {
        return Objects.requireNonNull(key, "key");
    }

    /** Tests only: {@code hook} runs between a read finding a key expired and the key's removal. */
    void onExpiredRead(Runnable hook) {
        store.onExpiredRead(hook);
    }

    /** Largest value this store accepts. */
    public long maxValueLength() {
        return store.maxValueLength();
    }

    public NibbleStats stats() {
        return store.stats();
    }

    /**
     * Checks the store's internal invariants: the live bytes of every segment equal the footprints of the records
     * the index references in it, and every block is owned by exactly one segment or free. Compaction pauses
     * meanwhile. Meant for tests and diagnostics, on a store with no operation running.
     *
     * @return a one-line summary
     * @throws IllegalStateException naming the first invariant found broken
     */
    public String verify() {
        return store.verify();
    }

    /**
     * Stops the compaction workers, waits for running operations to finish and unmaps the store's memory.
     * Idempotent; every other method throws {@link IllegalStateException} afterwards.
     */
    @Override
    public void close() {
        store.close();
    }

    /** Configures and opens a store. Every setting has a default that suits its capacity. */
    public static final class Builder {
        long capacity = 1L << 30;
        int blockSize = 64 << 10;
        int segmentSize;
        int nodes;
        int compactionThreads;
        int headsPerNode;
        UpdateMode updateMode = UpdateMode.IN_PLACE;
        HeadSelection headSelection = HeadSelection.CPU;
        boolean epochStriping = true;
        long fullTimeoutNanos = Duration.ofSeconds(10).toNanos();

        private Builder() { }

        /** Bytes of log memory, the compaction reserve included; a ceiling the OS backs lazily. Default 1 GiB. */
        public Builder capacity(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("capacity must be positive: " + bytes);
            }
            this.capacity = bytes;
            return this;
        }

        /** Allocation unit of the log, a power of two from 4 KiB to 16 MiB. Default 64 KiB. */
        public Builder blockSize(int bytes) {
            if (bytes < 4096 || bytes > (16 << 20) || Integer.bitCount(bytes) != 1) {
                throw new IllegalArgumentException("block size must be a power of two from 4 KiB to 16 MiB: "
                        + bytes);
            }
            this.blockSize = bytes;
            return this;
        }

        /**
         * Target size of a log segment, a multiple of the block size. Default: capacity / 128 rounded down to a
         * power of two, within [4 blocks, 32 MiB], so open heads and the reserve stay a small share of capacity.
         */
        public Builder segmentSize(int bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("segment size must be positive: " + bytes);
            }
            this.segmentSize = bytes;
            return this;
        }

        /** Number of NUMA nodes to split the log over. Default: as the OS reports. */
        public Builder nodes(int count) {
            if (count < 1 || count > 64) {
                throw new IllegalArgumentException("nodes must be from 1 to 64: " + count);
            }
            this.nodes = count;
            return this;
        }

        /** Compaction threads per node. Default: one per 8 cores of the node, at least one. */
        public Builder compactionThreads(int perNode) {
            if (perNode < 1 || perNode > 64) {
                throw new IllegalArgumentException("compaction threads must be from 1 to 64: " + perNode);
            }
            this.compactionThreads = perNode;
            return this;
        }

        /** Default {@link UpdateMode#IN_PLACE}. */
        public Builder updateMode(UpdateMode mode) {
            this.updateMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Log heads per node. Default: one per core, fewer for small stores. */
        public Builder headsPerNode(int heads) {
            if (heads < 1 || heads > 4096) {
                throw new IllegalArgumentException("heads per node must be from 1 to 4096: " + heads);
            }
            this.headsPerNode = heads;
            return this;
        }

        /** How writers pick a head; {@link HeadSelection#CPU} unless benchmarking the alternatives. */
        public Builder headSelection(HeadSelection selection) {
            this.headSelection = Objects.requireNonNull(selection, "selection");
            return this;
        }

        /**
         * Whether operations lease epoch slots in their CPU's stripe (the default) or all start at one slot, which
         * makes every operation share cache lines as a global in-flight counter would. Turn it off only to measure
         * what striping buys.
         */
        public Builder epochStriping(boolean striped) {
            this.epochStriping = striped;
            return this;
        }

        /**
         * Longest a put waits for compaction to free space before it throws {@link NibbleFullException}; it
         * throws sooner when compaction finds nothing to free. Default 10 s.
         */
        public Builder fullTimeout(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative: " + timeout);
            }
            this.fullTimeoutNanos = timeout.toNanos();
            return this;
        }

        public Nibble build() {
            long blocks = capacity / blockSize;
            int nodeCount = nodes > 0 ? nodes : Numa.nodeCount();
            if (blocks < 64L * nodeCount) {
                throw new IllegalArgumentException("capacity " + capacity + " holds fewer than 64 blocks of "
                        + blockSize + " bytes per node");
            }
            if (blocks > 1L << 28) {
                throw new IllegalArgumentException("capacity " + capacity + " needs more than 2^28 blocks; "
                        + "raise the block size");
            }
            if (blockSize < io.nibble.memory.NativeMemory.pageSize()) {
                throw new IllegalArgumentException("block size " + blockSize + " is smaller than the OS page ("
                        + io.nibble.memory.NativeMemory.pageSize() + "): freeing a block would release its neighbours");
            }
            Builder config = copy();
            config.nodes = nodeCount;
            if (segmentSize == 0) {
                long target = Long.highestOneBit(Math.max(1, capacity / nodeCount / 128));
                long min = Math.max(4L * blockSize, 256 << 10);
                config.segmentSize = (int) Math.max(min, Math.min(32L << 20, target));
            } else if (segmentSize % blockSize != 0) {
                throw new IllegalArgumentException("segment size " + segmentSize + " is not a multiple of the "
                        + "block size " + blockSize);
            }
            if ((long) config.segmentSize * 8 > capacity / nodeCount) {
                if (segmentSize != 0) {
                    throw new IllegalArgumentException("segment size " + segmentSize + " exceeds an eighth of "
                            + "the capacity per node");
                }
                config.segmentSize = blockSize * (int) Math.max(1, blocks / nodeCount / 16);
            }
            if (compactionThreads == 0) {
                int cores = Runtime.getRuntime().availableProcessors() / nodeCount;
                config.compactionThreads = Math.max(1, cores / 8);
            }
            return new Nibble(config);
        }

        private Builder copy() {
            Builder b = new Builder();
            b.capacity = capacity;
            b.blockSize = blockSize;
            b.segmentSize = segmentSize;
            b.nodes = nodes;
            b.compactionThreads = compactionThreads;
            b.headsPerNode = headsPerNode;
            b.updateMode = updateMode;
            b.headSelection = headSelection;
            b.epochStriping = epochStriping;
            b.fullTimeoutNanos = fullTimeoutNanos;
            return b;
        }
    }
}
