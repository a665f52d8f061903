package io.nibble;

/** What a put does to a key that already exists. */
public enum UpdateMode {
    /** Every put appends a new record (Nibble). Best for skewed, write-heavy workloads with changing sizes. */
    APPEND,
    /**
     * A put overwrites the existing record in place when the new value fits its capacity, else appends (Nibble-2).
     * Same-size updates then create no garbage and need no compaction.
     */
    IN_PLACE
}
