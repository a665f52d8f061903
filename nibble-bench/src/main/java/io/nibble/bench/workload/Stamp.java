package io.nibble.bench.workload;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Values that prove their own identity: the first bytes carry the object's id and the rest a fill byte derived
 * from it, so a read can tell a lost, stale, truncated or foreign value from the right one.
 */
public final class Stamp {
    private Stamp() { }

    public static byte[] key(int space, long id) {
        return ByteBuffer.allocate(12).putInt(0x6B000000 | space).putLong(Keys.mix(id)).array();
    }

    public static byte[] value(long id, int size) {
        byte[] v = new byte[size];
        Arrays.fill(v, fill(id));
        for (int i = 0; i < Math.min(8, size); i++) {
            v[i] = (byte) (id >>> (8 * i));
        }
        return v;
    }

    /** True when {@code value} is exactly what {@link #value(long, int)} made for this id and size. */
    public static boolean check(byte[] value, long id, int size) {
        if (value == null || value.length != size) {
            return false;
        }
        for (int i = 0; i < Math.min(8, size); i++) {
            if (value[i] != (byte) (id >>> (8 * i))) {
                return false;
            }
        }
        byte f = fill(id);
        return size <= 8 || (value[8] == f && value[size / 2] == f && value[size - 1] == f);
    }

    private static byte fill(long id) {
        return (byte) (id * 0x9E3779B97F4A7C15L >>> 56);
    }
}
