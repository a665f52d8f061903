package io.nibble.epoch;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The scheme the distributed epoch table replaces: one shared atomic counter of operations in flight, incremented
 * on entry and decremented on exit (RAMCloud's approach). It exists so benchmarks can measure the cost of that
 * shared cache line against {@link EpochTable} (the dissertation's Figure 12a); the engine does not use it.
 */
public final class SharedCounterEpoch {
    private final AtomicLong inFlight = new AtomicLong();

    public void enter() {
        inFlight.incrementAndGet();
    }

    public void exit() {
        inFlight.decrementAndGet();
    }

    public boolean isQuiescent() {
        return inFlight.get() == 0;
    }
}
