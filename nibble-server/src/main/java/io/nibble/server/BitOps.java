package io.nibble.server;

import java.util.Arrays;

/**
 * Redis's bitmap operations on string values. Bit 0 is the most significant bit of the first byte; a value is
 * followed by endless zero bits, except where BITPOS is given an explicit end.
 */
final class BitOps {
    private BitOps() {
    }

    /**
     * The bits {@code [first, last]} that a BITCOUNT or BITPOS range covers: offsets are inclusive, count from the
     * end when negative, and are clamped into the value, in bytes or (with BIT) in bits, as Redis 7 does.
     *
     * @return {first, last} bit positions, or null for an empty range
     */
    static long[] range(int length, long start, long end, boolean bits) {
        long[] r = Ranges.clamp(bits ? 8L * length : length, start, end);
        if (r == null || bits) {
            return r;
        }
        return new long[] {8 * r[0], 8 * r[1] + 7};
    }

    static boolean get(byte[] v, long offset) {
        long index = offset >>> 3;
        return index < v.length && (v[(int) index] & (0x80 >>> (offset & 7))) != 0;
    }

    /** A copy of {@code v}, grown with zero bytes to hold {@code offset}, with that bit set to {@code on}. */
    static byte[] with(byte[] v, long offset, boolean on) {
        int index = (int) (offset >>> 3);
        byte[] next = Arrays.copyOf(v, Math.max(v.length, index + 1));
        int mask = 0x80 >>> (offset & 7);
        next[index] = (byte) (on ? next[index] | mask : next[index] & ~mask);
        return next;
    }

    /** Set bits in {@code [first, last]}. */
    static long count(byte[] v, long first, long last) {
        long n = 0;
        long bit = first;
        while (bit <= last && (bit & 7) != 0) {
            n += get(v, bit++) ? 1 : 0;
        }
        while (bit + 7 <= last) {
            n += Integer.bitCount(v[(int) (bit >>> 3)] & 0xFF);
            bit += 8;
        }
        while (bit <= last) {
            n += get(v, bit++) ? 1 : 0;
        }
        return n;
    }

    /** The first bit in {@code [first, last]} equal to {@code target}, or -1. */
    static long position(byte[] v, boolean target, long first, long last) {
        long bit = first;
        while (bit <= last && (bit & 7) != 0) {
            if (get(v, bit) == target) {
                return bit;
            }
            bit++;
        }
        int skip = target ? 0 : 0xFF; // a whole byte without the target bit
        while (bit + 7 <= last && (v[(int) (bit >>> 3)] & 0xFF) == skip) {
            bit += 8;
        }
        for (; bit <= last; bit++) {
            if (get(v, bit) == target) {
                return bit;
            }
        }
        return -1;
    }

    /**
     * BITOP: AND, OR and XOR over the sources, each read as zeros past its end, as long as the longest; NOT of
     * the single source.
     */
    static byte[] combine(String op, byte[][] sources) {
        int length = 0;
        for (byte[] s : sources) {
            length = Math.max(length, s == null ? 0 : s.length);
        }
        byte[] result = new byte[length];
        java.util.function.IntBinaryOperator combine = switch (op) {
            case "AND" -> (x, y) -> x & y;
            case "OR" -> (x, y) -> x | y;
            case "XOR" -> (x, y) -> x ^ y;
            case "NOT" -> (x, y) -> x; // one source, inverted below
            default -> throw new IllegalArgumentException("unknown BITOP " + op);
        };
        boolean invert = op.equals("NOT");
        for (int i = 0; i < length; i++) {
            int acc = byteAt(sources[0], i);
            for (int k = 1; k < sources.length; k++) {
                acc = combine.applyAsInt(acc, byteAt(sources[k], i));
            }
            result[i] = (byte) (invert ? ~acc : acc);
        }
        return result;
    }

    private static int byteAt(byte[] v, int i) {
        return v == null || i >= v.length ? 0 : v[i] & 0xFF;
    }
}
