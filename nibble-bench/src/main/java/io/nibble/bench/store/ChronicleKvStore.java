package io.nibble.bench.store;

import net.openhft.chronicle.map.ChronicleMap;

/**
 * Chronicle Map in anonymous memory, sized as its documentation asks: entries and average key and value sizes
 * declared up front, up to four times as many tiers when entries outgrow them. A put with every tier taken
 * throws IllegalStateException, reported as a refused insert.
 */
final class ChronicleKvStore {
    private ChronicleKvStore() { }

    static KvStore open(StoreSpec spec) {
        ChronicleMap<byte[], byte[]> map = ChronicleMap.of(byte[].class, byte[].class)
                .name("nibble-bench")
                .entries(Math.max(1000, spec.expectedKeys()))
                .averageKeySize(StoreSpec.AVERAGE_KEY_SIZE)
                .averageValueSize(Math.max(1, spec.averageValueSize()))
                .maxBloatFactor(4)
                .create();
        return new MapKvStore("chronicle", map, IllegalStateException.class, map);
    }
}
