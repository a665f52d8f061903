package io.nibble.bench.jmh;

import io.nibble.epoch.EpochTable;
import io.nibble.epoch.SharedCounterEpoch;
import io.nibble.memory.NativeMemory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The epoch ablation (the dissertation's Figure 12a): the cost every operation pays to enter and leave its epoch,
 * with the per-CPU slot table the engine uses against one shared in-flight counter.
 *
 * <p>The shared counter is one cache line every thread writes twice per operation, so its throughput stops growing
 * (and falls) as threads are added; the table's threads write different lines and should scale with cores. With
 * no work between entry and exit this is the worst case for the counter, which is the point of the ablation.
 *
 * <p>This class measures one thread; {@link TwoThreads} runs the same benchmarks on two.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(1)
public class EpochBenchmark {
    private EpochTable table;
    private SharedCounterEpoch counter;

    @Setup
    public void setUp() {
        // Sized as the engine sizes its own, so the slot scan starts from the same stripes.
        table = EpochTable.forMachine();
        counter = new SharedCounterEpoch();
    }

    /** A stripe fixed per thread, for measuring the table without the CPU lookup. */
    @State(Scope.Thread)
    public static class Stripe {
        private static final AtomicInteger NEXT = new AtomicInteger();
        int cpu;

        @Setup
        public void setUp() {
            cpu = NEXT.getAndIncrement();
        }
    }

    /** What the engine does per operation: ask the OS for the CPU, pin a slot of its stripe, unpin. */
    @Benchmark
    public int table() {
        int slot = table.pin(NativeMemory.currentCpu());
        table.unpin(slot);
        return slot;
    }

    /** The table alone: the share of {@link #table()} that is not the {@code sched_getcpu} call. */
    @Benchmark
    public int tableFixedStripe(Stripe stripe) {
        int slot = table.pin(stripe.cpu);
        table.unpin(slot);
        return slot;
    }

    /** The scheme the table replaces: increment and decrement one shared counter. */
    @Benchmark
    public void sharedCounter() {
        counter.enter();
        counter.exit();
    }

    /** The same benchmarks on two threads: where the shared counter's line starts bouncing between cores. */
    @Threads(2)
    public static class TwoThreads extends EpochBenchmark {
    }
}
