package io.nibble.bench.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A fixed set of distinct keys, built once before measuring: off-heap for the {@link MemorySegment} API and as
 * heap arrays for the {@code byte[]} API, with the same bytes at the same index.
 *
 * <p>The off-heap keys live back to back in one buffer that is sliced once here, so a benchmark picks a ready
 * {@link MemorySegment} by index and the measured path creates no slice (a slice is a heap object).
 */
final class KeyPool {
    /** 16 bytes: a typical short key, small enough that key handling does not dominate a 64-byte value. */
    static final int KEY_LENGTH = 16;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final MemorySegment[] segments;
    final byte[][] arrays;

    KeyPool(Arena arena, int count) {
        MemorySegment buffer = arena.allocate((long) count * KEY_LENGTH, 8);
        segments = new MemorySegment[count];
        arrays = new byte[count][];
        for (int i = 0; i < count; i++) {
            MemorySegment key = buffer.asSlice((long) i * KEY_LENGTH, KEY_LENGTH);
            // The index makes keys distinct; its scrambled copy makes them differ in every byte, not just the low ones.
            key.set(LONG, 0, i);
            key.set(LONG, 8, Worker.mix(i));
            segments[i] = key;
            arrays[i] = key.toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
