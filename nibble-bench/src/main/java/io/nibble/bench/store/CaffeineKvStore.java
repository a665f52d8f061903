package io.nibble.bench.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/** A Caffeine cache without a size bound, used as a map; like {@link ChmKvStore} it keeps the caller's arrays. */
public final class CaffeineKvStore implements KvStore {
    private final Cache<ByteKey, byte[]> cache;

    public CaffeineKvStore(StoreSpec spec) {
        this.cache = Caffeine.newBuilder()
                .initialCapacity((int) Math.min(1 << 30, Math.max(16, spec.expectedKeys())))
                .build();
    }

    @Override
    public String name() {
        return "caffeine";
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        cache.put(new ByteKey(key), value);
        return true;
    }

    @Override
    public byte[] get(byte[] key) {
        return cache.getIfPresent(new ByteKey(key));
    }

    @Override
    public boolean delete(byte[] key) {
        return cache.asMap().remove(new ByteKey(key)) != null;
    }

    @Override
    public void close() {
        cache.invalidateAll();
        cache.cleanUp();
    }
}
