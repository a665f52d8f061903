package io.nibble.bench.jmh;

import io.nibble.Nibble;
import io.nibble.UpdateMode;
import io.nibble.log.HeadSelection;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Threads;

/**
 * The head-selection ablation: put throughput when writers pick their log head by CPU, at random, or all share
 * one head per node.
 *
 * <p>Append mode makes every put go through a head, so the benchmark measures head contention rather than
 * in-place overwrites that bypass the heads. Two threads is the least that can contend; the head count is the
 * engine's default (one per core, capped for small stores), which {@code SINGLE} overrides with one. 100k keys of
 * 64 B fill a few percent of 512 MiB, so compaction finds nearly empty segments and keeps up without throttling
 * the writers.
 */
@Threads(2)
public class HeadSelectionBenchmark extends StoreBenchmark {
    private static final int KEY_COUNT = 100_000;

    @Param({"CPU", "RANDOM", "SINGLE"})
    public HeadSelection selection;

    @Override
    protected Nibble.Builder configure() {
        return Nibble.builder().updateMode(UpdateMode.APPEND).headSelection(selection);
    }

    @Override
    protected int keyCount() {
        return KEY_COUNT;
    }

    @Override
    protected int valueSize() {
        return 64;
    }

    @Override
    protected long capacity() {
        return 512L << 20;
    }

    @Benchmark
    public void put(Worker w) {
        store.put(keys.segments[w.next(KEY_COUNT)], valueSegment);
    }
}
