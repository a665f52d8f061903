package io.nibble.index;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KeyHashTest {

    @Test
    void sameBytesHashTheSameOnHeapAndOffHeap() {
        try (Arena arena = Arena.ofConfined()) {
            for (int length = 0; length < 100; length++) {
                byte[] bytes = new byte[length];
                for (int i = 0; i < length; i++) {
                    bytes[i] = (byte) (i * 31 + length);
                }
                MemorySegment native_ = arena.allocate(Math.max(1, length)).asSlice(0, length);
                native_.copyFrom(MemorySegment.ofArray(bytes));
                assertEquals(KeyHash.hash(MemorySegment.ofArray(bytes), 7), KeyHash.hash(native_, 7));
                assertEquals(KeyHash.hash(native_, 7), KeyHash.hash(bytes, 7), "byte[] and segment hashes differ");
                assertEquals(KeyHash.hash(bytes, 7), KeyHash.hash((Object) native_, 7));
            }
        }
    }

    @Test
    void everyByteAndTheLengthAndTheSeedMatter() {
        byte[] base = new byte[40];
        long h = KeyHash.hash(MemorySegment.ofArray(base), 1);
        for (int i = 0; i < base.length; i++) {
            byte[] flipped = base.clone();
            flipped[i] ^= 1;
            assertNotEquals(h, KeyHash.hash(MemorySegment.ofArray(flipped), 1), "byte " + i + " ignored");
        }
        assertNotEquals(h, KeyHash.hash(MemorySegment.ofArray(new byte[41]), 1));
        assertNotEquals(h, KeyHash.hash(MemorySegment.ofArray(base), 2));
        assertNotEquals(KeyHash.hash(MemorySegment.ofArray(new byte[0]), 1),
                KeyHash.hash(MemorySegment.ofArray(new byte[1]), 1));
    }

    /** Sequential keys spread evenly over buckets and subtables (the bits the index uses). */
    @Test
    void sequentialKeysSpreadEvenly() {
        int n = 1 << 18;
        int buckets = 1 << 12;
        int[] lowBits = new int[buckets];
        int[] highBits = new int[256];
        Set<Long> tags = new HashSet<>();
        for (int i = 0; i < n; i++) {
            long h = KeyHash.hash(MemorySegment.ofArray(("user" + i).getBytes()), 42);
            lowBits[(int) (h & (buckets - 1))]++;
            highBits[(int) (h >>> 56)]++;
            tags.add(HashIndex.tag(h));
        }
        // Chi-square against a uniform spread: mean = cells - 1, standard deviation = sqrt(2 * (cells - 1)).
        assertTrue(chiSquare(lowBits, n) < buckets + 6 * Math.sqrt(2.0 * buckets),
                "bucket bits are not uniform: chi2 " + chiSquare(lowBits, n));
        assertTrue(chiSquare(highBits, n) < 256 + 6 * Math.sqrt(512.0),
                "subtable bits are not uniform: chi2 " + chiSquare(highBits, n));
        assertTrue(tags.size() > 60_000, "tags should use most of their 16 bits: " + tags.size());
    }

    private static double chiSquare(int[] counts, int n) {
        double expected = (double) n / counts.length;
        double sum = 0;
        for (int c : counts) {
            sum += (c - expected) * (c - expected) / expected;
        }
        return sum;
    }
}
