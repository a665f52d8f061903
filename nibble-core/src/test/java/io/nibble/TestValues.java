package io.nibble;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * Self-checking values: {@code [key id:8][version:8][payload][crc32c:4]}. A reader can tell a torn value (bad
 * checksum) and a foreign one (another key's id) from the bytes alone.
 */
final class TestValues {
    static final int OVERHEAD = 20;

    private TestValues() { }

    static byte[] key(long id) {
        return ("key-" + id).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] value(long keyId, long version, int size, SplittableRandom random) {
        int n = Math.max(OVERHEAD, size);
        byte[] v = new byte[n];
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, keyId);
        b.putLong(8, version);
        for (int i = 16; i < n - 4; i++) {
            v[i] = (byte) random.nextInt();
        }
        CRC32C crc = new CRC32C();
        crc.update(v, 0, n - 4);
        b.putInt(n - 4, (int) crc.getValue());
        return v;
    }

    /** Throws when the value is torn or belongs to another key; returns its version. */
    static long check(long keyId, byte[] v) {
        if (v.length < OVERHEAD) {
            throw new AssertionError("value of key " + keyId + " is too short: " + v.length);
        }
        ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(v, 0, v.length - 4);
        if ((int) crc.getValue() != b.getInt(v.length - 4)) {
            throw new AssertionError("torn value for key " + keyId + " (" + v.length + " bytes)");
        }
        if (b.getLong(0) != keyId) {
            throw new AssertionError("key " + keyId + " returned the value of key " + b.getLong(0));
        }
        return b.getLong(8);
    }

    static long seed(String name) {
        String fixed = System.getProperty("nibble.seed");
        long seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        System.out.println(name + ": seed " + seed + " (replay with -Dnibble.seed=" + seed + ")");
        return seed;
    }
}
