package io.nibble.bench.store;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ConcurrentHashMap on the heap with a byte-array key wrapper. It stores and returns the caller's arrays without
 * copying, as a user of a plain map would.
 */
public final class ChmKvStore implements KvStore {
    private final ConcurrentHashMap<Key, byte[]> map;

    public ChmKvStore(int expectedKeys) {
        this.map = new ConcurrentHashMap<>(Math.max(16, expectedKeys * 4 / 3));
    }

    /** Content equality for byte[] keys, with the hash computed once. */
    private record Key(byte[] bytes, int hash) {
        Key(byte[] bytes) {
            this(bytes, Arrays.hashCode(bytes));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    @Override
    public String name() {
        return "chm";
    }

    @Override
    public void put(byte[] key, byte[] value) {
        map.put(new Key(key), value);
    }

    @Override
    public byte[] get(byte[] key) {
        return map.get(new Key(key));
    }

    @Override
    public void close() {
        map.clear();
    }
}
