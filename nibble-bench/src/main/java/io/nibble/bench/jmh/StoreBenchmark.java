package io.nibble.bench.jmh;

import io.nibble.Nibble;

import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * A store shared by all benchmark threads, filled before measuring so that every measured get hits and every put
 * replaces a live key: the steady state of a cache, not its warm-up.
 *
 * <p>Subclasses say how to build the store and how many keys of what size to load. The store is sized a few times
 * larger than its data so that append-mode puts measure the write path with compaction keeping up, not a store
 * stalled waiting for space.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// Forked JVMs run from the class path, where the jar manifest's Enable-Native-Access does not apply.
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public abstract class StoreBenchmark {
    /** Per-record bytes beyond key and value (header and alignment), for sizing only. */
    private static final int RECORD_OVERHEAD = 32;

    protected Nibble store;
    protected KeyPool keys;
    /** The value every put writes, off-heap and on-heap; puts only read it, so all threads share it. */
    protected MemorySegment valueSegment;
    protected byte[] valueArray;
    private Arena arena;

    /** The builder for this trial's store; capacity is set afterwards from {@link #capacity}. */
    protected abstract Nibble.Builder configure();

    protected abstract int keyCount();

    protected abstract int valueSize();

    /**
     * Four times the data rounded up to a power of two, and at least 256 MiB, so that append-mode puts on a small
     * data set do not spend their time waiting for compaction.
     */
    protected long capacity() {
        long data = (long) keyCount() * (KeyPool.KEY_LENGTH + valueSize() + RECORD_OVERHEAD);
        return Math.max(256L << 20, Long.highestOneBit(4 * data - 1) << 1);
    }

    @Setup
    public void openStore() {
        if (valueSize() > Worker.INTO_BYTES) {
            throw new IllegalArgumentException("values over " + Worker.INTO_BYTES
                    + " bytes would be truncated by get");
        }
        arena = Arena.ofShared();
        keys = new KeyPool(arena, keyCount());
        valueSegment = arena.allocate(valueSize(), 8);
        for (long i = 0; i < valueSegment.byteSize(); i++) {
            valueSegment.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
        valueArray = valueSegment.toArray(ValueLayout.JAVA_BYTE);
        store = configure().capacity(capacity()).build();
        for (MemorySegment key : keys.segments) {
            store.put(key, valueSegment);
        }
    }

    @TearDown
    public void closeStore() {
        if (store != null) {
            store.close();
        }
        if (arena != null) {
            arena.close();
        }
    }
}
