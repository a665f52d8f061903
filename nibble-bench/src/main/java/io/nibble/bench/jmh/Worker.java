package io.nibble.bench.jmh;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What each benchmark thread owns: a uniform key picker and an off-heap buffer that gets copy values into.
 *
 * <p>The picker is a xorshift generator: a few register operations per key, so picking costs next to nothing
 * against the operation measured, and being per-thread it shares no cache line with the other threads.
 */
@State(Scope.Thread)
public class Worker {
    /** Larger than any value benchmarked, so a get's copy is never truncated. */
    static final int INTO_BYTES = 1 << 20;

    /** Seeds are handed out in order so that every run draws the same key sequences. */
    private static final AtomicLong SEEDS = new AtomicLong();

    MemorySegment into;
    private Arena arena;
    private long state;

    @Setup
    public void setUp() {
        long s = mix(SEEDS.incrementAndGet());
        state = s != 0 ? s : 1; // xorshift never leaves zero
        // Shared, not confined: JMH does not promise to run set-up and tear-down on the thread that measures.
        arena = Arena.ofShared();
        into = arena.allocate(INTO_BYTES, 8);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    /** A uniform int in {@code [0, bound)}. */
    int next(int bound) {
        long x = state;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        state = x;
        // Lemire's multiply-shift maps the top 32 bits onto [0, bound) without a division.
        return (int) (((x >>> 32) * bound) >>> 32);
    }

    /** splitmix64's finaliser: spreads consecutive inputs over all 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
