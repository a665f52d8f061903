package io.nibble.bench.store;

import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.HTreeMap;
import org.mapdb.Serializer;

/**
 * MapDB's off-heap hash map ({@code memoryDirectDB}), thread safe with its default lock striping. It grows in
 * direct buffers, bounded by the JVM's direct memory limit; running out is reported as a refused insert.
 */
public final class MapDbKvStore implements KvStore {
    private final DB db;
    private final HTreeMap<byte[], byte[]> map;

    public MapDbKvStore(StoreSpec spec) {
        this.db = DBMaker.memoryDirectDB().make();
        this.map = db.hashMap("bench", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY).createOrOpen();
    }

    @Override
    public String name() {
        return "mapdb";
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        try {
            map.put(key, value);
            return true;
        } catch (OutOfMemoryError directMemoryExhausted) {
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
        db.close();
    }
}
