package io.nibble.bench.store;

import com.github.benmanes.caffeine.cache.Caffeine;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * An on-heap map with a byte-array key wrapper: ConcurrentHashMap, or an unbounded Caffeine cache through its map
 * view. It stores and returns the caller's arrays without copying, as a user of a plain map would.
 */
public final class ChmKvStore implements KvStore {
    private final String name;
    private final ConcurrentMap<ByteKey, byte[]> map;

    private ChmKvStore(String name, ConcurrentMap<ByteKey, byte[]> map) {
        this.name = name;
        this.map = map;
    }

    public static ChmKvStore concurrentHashMap(StoreSpec spec) {
        return new ChmKvStore("chm", new ConcurrentHashMap<>(initialCapacity(spec) * 4 / 3));
    }

    public static ChmKvStore caffeine(StoreSpec spec) {
        return new ChmKvStore("caffeine", Caffeine.newBuilder().initialCapacity(initialCapacity(spec))
                .<ByteKey, byte[]>build().asMap());
    }

    private static int initialCapacity(StoreSpec spec) {
        return (int) Math.min(1 << 29, Math.max(16, spec.expectedKeys()));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        map.put(new ByteKey(key), value);
        return true;
    }

    @Override
    public byte[] get(byte[] key) {
        return map.get(new ByteKey(key));
    }

    @Override
    public boolean delete(byte[] key) {
        return map.remove(new ByteKey(key)) != null;
    }

    @Override
    public void close() {
        map.clear();
    }
}
