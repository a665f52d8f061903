package io.nibble.log;

/** How a writer picks its log head. {@link #CPU} is the design; the others exist for the ablation benchmarks. */
public enum HeadSelection {
    /** The head of the CPU the writer runs on ({@code sched_getcpu}); the next head when it is busy. */
    CPU,
    /** A random head; the next head when it is busy. */
    RANDOM,
    /** One head for the whole node, waited for when busy. */
    SINGLE
}
