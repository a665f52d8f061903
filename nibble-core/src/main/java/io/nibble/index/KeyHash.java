package io.nibble.index;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A 64-bit hash of a key's bytes in the style of wyhash: 16 bytes per round folded through a 64x64-&gt;128-bit
 * multiply. It reads little-endian words, so a key hashes the same on every platform and in every process that
 * maps the same store. Hand-written because it runs on every operation over a {@link MemorySegment} of either
 * heap or native memory, which no hashing library accepts without copying.
 */
public final class KeyHash {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long P0 = 0xa0761d6478bd642fL;
    private static final long P1 = 0xe7037ed1a0b428dbL;
    private static final long P2 = 0x8ebc6af09c88c6e3L;

    private KeyHash() { }

    private static long mix(long a, long b) {
        return (a * b) ^ Math.unsignedMultiplyHigh(a, b);
    }

    private static final java.lang.invoke.VarHandle ARRAY_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle ARRAY_INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** Hashes a key given as a {@code byte[]} or a {@link MemorySegment}; both forms of the same bytes agree. */
    public static long hash(Object key, long seed) {
        return key instanceof byte[] array ? hash(array, seed) : hash((MemorySegment) key, seed);
    }

    /** Hashes all bytes of {@code key} with {@code seed}; equal to hashing the same bytes in a segment. */
    public static long hash(byte[] key, long seed) {
        int length = key.length;
        long s = seed ^ mix(seed ^ P0, P1);
        long a;
        long b;
        if (length <= 16) {
            if (length >= 8) {
                a = (long) ARRAY_LONG.get(key, 0);
                b = (long) ARRAY_LONG.get(key, length - 8);
            } else if (length >= 4) {
                a = (int) ARRAY_INT.get(key, 0) & 0xFFFF_FFFFL;
                b = (int) ARRAY_INT.get(key, length - 4) & 0xFFFF_FFFFL;
            } else if (length > 0) {
                a = ((key[0] & 0xFFL) << 16) | ((key[length >> 1] & 0xFFL) << 8) | (key[length - 1] & 0xFFL);
                b = 0;
            } else {
                a = 0;
                b = 0;
            }
        } else {
            int i = 0;
            for (int remaining = length; remaining > 16; remaining -= 16, i += 16) {
                s = mix((long) ARRAY_LONG.get(key, i) ^ P1, (long) ARRAY_LONG.get(key, i + 8) ^ s);
            }
            a = (long) ARRAY_LONG.get(key, length - 16);
            b = (long) ARRAY_LONG.get(key, length - 8);
        }
        return mix(P2 ^ length, mix(a ^ P1, b ^ s));
    }

    /** Hashes all bytes of {@code key} with {@code seed}. */
    public static long hash(MemorySegment key, long seed) {
        long length = key.byteSize();
        long s = seed ^ mix(seed ^ P0, P1);
        long a;
        long b;
        if (length <= 16) {
            if (length >= 8) {
                a = key.get(LONG, 0);
                b = key.get(LONG, length - 8);
            } else if (length >= 4) {
                a = key.get(INT, 0) & 0xFFFF_FFFFL;
                b = key.get(INT, length - 4) & 0xFFFF_FFFFL;
            } else if (length > 0) {
                a = ((key.get(ValueLayout.JAVA_BYTE, 0) & 0xFFL) << 16)
                        | ((key.get(ValueLayout.JAVA_BYTE, length >> 1) & 0xFFL) << 8)
                        | (key.get(ValueLayout.JAVA_BYTE, length - 1) & 0xFFL);
                b = 0;
            } else {
                a = 0;
                b = 0;
            }
        } else {
            long i = 0;
            for (long remaining = length; remaining > 16; remaining -= 16, i += 16) {
                s = mix(key.get(LONG, i) ^ P1, key.get(LONG, i + 8) ^ s);
            }
            a = key.get(LONG, length - 16);
            b = key.get(LONG, length - 8);
        }
        return mix(P2 ^ length, mix(a ^ P1, b ^ s));
    }
}
