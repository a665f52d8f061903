package io.nibble.bench.store;

/**
 * What a workload tells a store before it opens, for the peers that must be sized up front.
 *
 * @param capacityBytes    memory the store may use for its data; bounded stores are sized to it
 * @param expectedKeys     the most keys live at once
 * @param averageValueSize the mean value length the workload starts with
 * @param maxValueSize     the longest value the workload writes
 */
public record StoreSpec(long capacityBytes, long expectedKeys, int averageValueSize, int maxValueSize) {
    /** Keys in the workloads are 12 to 16 bytes. */
    public static final int AVERAGE_KEY_SIZE = 12;
}
