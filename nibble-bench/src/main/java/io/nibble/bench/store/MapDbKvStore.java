package io.nibble.bench.store;

import org.mapdb.DB;
import org.mapdb.DBMaker;
import org.mapdb.Serializer;

/**
 * MapDB's off-heap hash map ({@code memoryDirectDB}), thread safe with its default lock striping. It grows in
 * direct buffers, bounded by the JVM's direct memory limit; running out is reported as a refused insert.
 */
final class MapDbKvStore {
    private MapDbKvStore() { }

    static KvStore open(StoreSpec spec) {
        DB db = DBMaker.memoryDirectDB().make();
        return new MapKvStore("mapdb", db.hashMap("bench", Serializer.BYTE_ARRAY, Serializer.BYTE_ARRAY)
                .createOrOpen(), OutOfMemoryError.class, db);
    }
}
