package io.nibble.bench.store;

import io.nibble.Nibble;
import io.nibble.UpdateMode;

/** The embedded engine, in either update mode. */
public final class NibbleKvStore implements KvStore {
    private final Nibble store;
    private final String name;

    public NibbleKvStore(UpdateMode mode, long capacity) {
        this.store = Nibble.builder().capacity(capacity).updateMode(mode).build();
        this.name = mode == UpdateMode.APPEND ? "nibble-append" : "nibble-inplace";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void put(byte[] key, byte[] value) {
        store.put(key, value);
    }

    @Override
    public byte[] get(byte[] key) {
        return store.get(key);
    }

    @Override
    public void close() {
        store.close();
    }
}
