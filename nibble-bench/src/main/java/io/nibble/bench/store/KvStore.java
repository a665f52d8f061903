package io.nibble.bench.store;

/**
 * The small surface every store under benchmark offers: the byte[] API a user of each peer would call. Thread
 * safe; {@link #close()} releases whatever the store holds.
 */
public interface KvStore extends AutoCloseable {
    String name();

    void put(byte[] key, byte[] value);

    /** The value, or null when absent. */
    byte[] get(byte[] key);

    @Override
    void close();
}
