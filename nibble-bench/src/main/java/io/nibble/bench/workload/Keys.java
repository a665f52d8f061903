package io.nibble.bench.workload;

/**
 * Key material as YCSB makes it ({@code insertorder=hashed}): record numbers pass through a bijective mixer, so
 * keys are distinct and their bytes look random. Sequential numbers in the last bytes of a key would give
 * {@code Arrays.hashCode}, the hash an on-heap map's byte[] wrapper uses, only a few thousand distinct values.
 */
public final class Keys {
    private Keys() { }

    /** MurmurHash3's 64-bit finalizer: a bijection on longs. */
    public static long mix(long x) {
        x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
        x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return x ^ (x >>> 33);
    }
}
