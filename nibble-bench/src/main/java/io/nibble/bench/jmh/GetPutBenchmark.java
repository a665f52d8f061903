package io.nibble.bench.jmh;

import io.nibble.Nibble;
import io.nibble.UpdateMode;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Threads;

/**
 * Get and put of one key picked uniformly from a filled store, through the {@code byte[]} API and the
 * {@link java.lang.foreign.MemorySegment} API, in both update modes.
 *
 * <p>The segment benchmarks pass ready-made off-heap keys, value and destination, so whatever they allocate is the
 * engine's own doing. {@code -prof gc} counts every thread of the JVM: in append mode its B/op includes what the
 * compaction threads allocate per relocated record, not only the caller. The array benchmarks pay what an
 * application using arrays pays: the API wraps them, and get returns a fresh array.
 *
 * <p>This class measures one thread; {@link TwoThreads} runs the same benchmarks on two.
 */
@Threads(1)
public class GetPutBenchmark extends StoreBenchmark {
    @Param({"64", "1024"})
    public int valueSize;

    @Param({"APPEND", "IN_PLACE"})
    public UpdateMode mode;

    /** 200k keys: a few hundred MiB of 1 KiB values, which fills in well under a second. */
    @Param({"200000"})
    public int keyCount;

    @Override
    protected Nibble.Builder configure() {
        return Nibble.builder().updateMode(mode);
    }

    @Override
    protected int keyCount() {
        return keyCount;
    }

    @Override
    protected int valueSize() {
        return valueSize;
    }

    @Benchmark
    public long getSegment(Worker w) {
        return store.get(keys.segments[w.next(keyCount)], w.into);
    }

    @Benchmark
    public void putSegment(Worker w) {
        store.put(keys.segments[w.next(keyCount)], valueSegment);
    }

    @Benchmark
    public byte[] getArray(Worker w) {
        return store.get(keys.arrays[w.next(keyCount)]);
    }

    @Benchmark
    public void putArray(Worker w) {
        store.put(keys.arrays[w.next(keyCount)], valueArray);
    }

    /** The same benchmarks with two threads on one store: what sharing the index, heads and epochs costs. */
    @Threads(2)
    public static class TwoThreads extends GetPutBenchmark {
    }
}
