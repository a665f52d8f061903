package io.nibble.bench.store;

/**
 * The small surface every store under benchmark offers: the byte[] API a user of each peer would call. Thread
 * safe; {@link #close()} releases whatever the store holds. Stores that keep references (the on-heap maps) may
 * keep the caller's arrays, so callers that need distinct values pass distinct arrays.
 */
public interface KvStore extends AutoCloseable {
    String name();

    /** Stores the value; false when the store has no room for it. A store never drops a value silently. */
    boolean put(byte[] key, byte[] value);

    /** The value, or null when absent. */
    byte[] get(byte[] key);

    /** Removes the key; true when it was present. */
    boolean delete(byte[] key);

    @Override
    void close();
}
