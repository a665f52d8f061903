package io.nibble.bench.store;

import net.openhft.chronicle.map.ChronicleMap;

/**
 * Chronicle Map in anonymous memory, sized as its documentation asks: entries and average key and value sizes
 * declared up front. It copies values in and out. A put it has no room for (all extra tiers taken) throws
 * IllegalStateException, reported as a refused insert.
 */
public final class ChronicleKvStore implements KvStore {
    private final ChronicleMap<byte[], byte[]> map;

    public ChronicleKvStore(StoreSpec spec) {
        this.map = ChronicleMap.of(byte[].class, byte[].class)
                .name("nibble-bench")
                .entries(Math.max(1000, spec.expectedKeys()))
                .averageKeySize(StoreSpec.AVERAGE_KEY_SIZE)
                .averageValueSize(Math.max(1, spec.averageValueSize()))
                .maxBloatFactor(4)
                .create();
    }

    @Override
    public String name() {
        return "chronicle";
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        try {
            map.put(key, value);
            return true;
        } catch (IllegalStateException full) {
            return false;
        }
    }

    @Override
    public byte[] get(byte[] key) {
        return map.get(key);
    }

    @Override
    public boolean delete(byte[] key) {
        return map.remove(key) != null;
    }

    @Override
    public void close() {
        map.close();
    }
}
