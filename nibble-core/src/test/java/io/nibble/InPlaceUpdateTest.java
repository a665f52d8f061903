package io.nibble;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nibble-2: same-size overwrites in place create no garbage, so memory stays flat and compaction never runs. */
class InPlaceUpdateTest {

    @Test
    void aMillionSameSizeOverwritesLeaveUsedBytesFlat() {
        try (Nibble store = Nibble.builder().capacity(256L << 20).updateMode(UpdateMode.IN_PLACE).build();
             Arena arena = Arena.ofConfined()) {
            int keys = 50_000;
            MemorySegment key = arena.allocate(8);
            MemorySegment value = arena.allocate(512);
            MemorySegment into = arena.allocate(512);
            for (int i = 0; i < keys; i++) {
                key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                value.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                store.put(key, value);
            }
            NibbleStats before = store.stats();
            for (int i = 0; i < 1_000_000; i++) {
                int k = (int) ((i * 2654435761L) % keys);
                key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, k);
                value.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, k);
                value.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, i);
                store.put(key, value);
            }
            NibbleStats after = store.stats();
            assertEquals(before.usedBytes(), after.usedBytes(), "in-place overwrites must not take blocks");
            assertEquals(before.liveBytes(), after.liveBytes());
            assertEquals(0, after.compactedSegments(), "no garbage, so nothing to compact");
            assertEquals(0, after.relocatedBytes());
            int k = (int) ((999_999 * 2654435761L) % keys);
            key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, k);
            assertEquals(512, store.get(key, into));
            assertEquals(999_999L, into.get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
        }
    }

    @Test
    void appendModeTurnsTheSameOverwritesIntoGarbageThatCompactionReclaims() {
        try (Nibble store = Nibble.builder().capacity(64L << 20).updateMode(UpdateMode.APPEND).build()) {
            byte[] value = new byte[512];
            for (int i = 0; i < 300_000; i++) {
                store.put(TestValues.key(i % 10_000), value);
            }
            NibbleStats stats = store.stats();
            assertTrue(stats.compactedSegments() > 0, "appending 150 MB into 64 MiB needs compaction: " + stats);
            assertEquals(10_000, stats.keys());
            store.verify();
        }
    }

    @Test
    void aValueThatNoLongerFitsMovesToANewRecord() {
        try (Nibble store = Nibble.builder().capacity(64L << 20).updateMode(UpdateMode.IN_PLACE).build()) {
            byte[] key = TestValues.key(1);
            store.put(key, new byte[100]);
            store.put(key, new byte[5000]);
            assertEquals(5000, store.get(key).length);
            store.put(key, new byte[10]);
            assertEquals(10, store.get(key).length);
            store.put(key, new byte[12]);
            assertEquals(12, store.get(key).length);
            assertEquals(1, store.size());
            store.verify();
        }
    }
}
