package io.nibble.bench.store;

import java.util.concurrent.ConcurrentHashMap;

/**
 * ConcurrentHashMap on the heap with a byte-array key wrapper. It stores and returns the caller's arrays without
 * copying, as a user of a plain map would.
 */
public final class ChmKvStore implements KvStore {
    private final ConcurrentHashMap<ByteKey, byte[]> map;

    public ChmKvStore(StoreSpec spec) {
        this.map = new ConcurrentHashMap<>((int) Math.min(1 << 30, Math.max(16, spec.expectedKeys() * 4 / 3)));
    }

    @Override
    public String name() {
        return "chm";
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
