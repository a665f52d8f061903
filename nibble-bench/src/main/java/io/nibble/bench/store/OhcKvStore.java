package io.nibble.bench.store;

import org.caffinitas.ohc.CacheSerializer;
import org.caffinitas.ohc.Eviction;
import org.caffinitas.ohc.OHCache;
import org.caffinitas.ohc.OHCacheBuilder;

import java.nio.ByteBuffer;

/**
 * OHC's linked implementation used as a map: eviction off, capacity as the workload declares. Each entry is a
 * malloc'd block; a put it has no room for returns false.
 */
public final class OhcKvStore implements KvStore {
    private final OHCache<byte[], byte[]> cache;

    public OhcKvStore(StoreSpec spec) {
        this.cache = OHCacheBuilder.<byte[], byte[]>newBuilder()
                .keySerializer(BYTES)
                .valueSerializer(BYTES)
                .capacity(spec.capacityBytes())
                .maxEntrySize(spec.maxValueSize() + 256L)
                .eviction(Eviction.NONE)
                .build();
    }

    /** Length-prefixed byte arrays; OHC hashes and compares keys by these serialized bytes. */
    private static final CacheSerializer<byte[]> BYTES = new CacheSerializer<>() {
        @Override
        public void serialize(byte[] value, ByteBuffer buf) {
            buf.putInt(value.length).put(value);
        }

        @Override
        public byte[] deserialize(ByteBuffer buf) {
            byte[] value = new byte[buf.getInt()];
            buf.get(value);
            return value;
        }

        @Override
        public int serializedSize(byte[] value) {
            return 4 + value.length;
        }
    };

    @Override
    public String name() {
        return "ohc";
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        return cache.put(key, value);
    }

    @Override
    public byte[] get(byte[] key) {
        return cache.get(key);
    }

    @Override
    public boolean delete(byte[] key) {
        return cache.remove(key);
    }

    @Override
    public void close() {
        try {
            cache.close();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
