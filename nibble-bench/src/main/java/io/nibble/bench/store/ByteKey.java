package io.nibble.bench.store;

import java.util.Arrays;

/** Content equality for byte[] keys in the on-heap maps, with the hash computed once. */
record ByteKey(byte[] bytes, int hash) {
    ByteKey(byte[] bytes) {
        this(bytes, Arrays.hashCode(bytes));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "ByteKey" + Arrays.toString(bytes);
    }
}
