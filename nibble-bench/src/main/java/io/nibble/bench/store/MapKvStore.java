package io.nibble.bench.store;

import java.util.Map;

/**
 * A peer whose API is a {@code Map<byte[], byte[]>} that serialises keys, so byte[] keys compare by content:
 * Chronicle Map and MapDB. It copies values in and out. The peer signals a full store by throwing
 * {@code fullSignal}, which becomes a refused put.
 */
class MapKvStore implements KvStore {
    private final String name;
    private final Map<byte[], byte[]> map;
    private final Class<? extends Throwable> fullSignal;
    private final AutoCloseable closer;

    MapKvStore(String name, Map<byte[], byte[]> map, Class<? extends Throwable> fullSignal, AutoCloseable closer) {
        this.name = name;
        this.map = map;
        this.fullSignal = fullSignal;
        this.closer = closer;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        try {
            map.put(key, value);
            return true;
        } catch (RuntimeException | Error e) {
            if (fullSignal.isInstance(e)) {
                return false;
            }
            throw e;
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
        try {
            closer.close();
        } catch (Exception e) {
            throw new IllegalStateException(name + " failed to close", e);
        }
    }
}
