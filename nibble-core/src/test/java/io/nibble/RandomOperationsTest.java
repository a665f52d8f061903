package io.nibble;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random operations against a reference map, in both update modes. A small block size makes keys and values
 * straddle blocks, and a small capacity keeps compaction busy. The seed is printed; {@code -Dnibble.seed=N}
 * replays a failure.
 */
class RandomOperationsTest {

    @ParameterizedTest
    @EnumSource(UpdateMode.class)
    void matchesAReferenceMap(UpdateMode mode) {
        long seed = TestValues.seed("RandomOperationsTest[" + mode + "]");
        SplittableRandom random = new SplittableRandom(seed);
        Map<ByteBuffer, byte[]> reference = new HashMap<>();
        java.util.Set<ByteBuffer> expiring = new java.util.HashSet<>(); // keys with an expiry, all far ahead
        long farFuture = System.currentTimeMillis() + 3_600_000;
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            int length = random.nextInt(10) == 0 ? 1 + random.nextInt(6000) : 1 + random.nextInt(40);
            byte[] k = new byte[length];
            random.nextBytes(k);
            keys.add(k);
        }
        try (Nibble store = Nibble.builder().capacity(24 << 20).blockSize(4096).updateMode(mode).build();
             Arena arena = Arena.ofConfined()) {
            MemorySegment into = arena.allocate(2048);
            long operations = Long.getLong("nibble.random.ops", 400_000);
            for (long op = 0; op < operations; op++) {
                byte[] key = keys.get(random.nextInt(keys.size()));
                ByteBuffer ref = ByteBuffer.wrap(key);
                int choice = random.nextInt(100);
                String where = "op " + op + " seed " + seed;
                if (choice < 40) {
                    byte[] value = new byte[randomValueSize(random)];
                    random.nextBytes(value);
                    int how = random.nextInt(8);
                    if (how == 0) {
                        store.put(key, value, farFuture + op);
                        expiring.add(ref);
                    } else if (how < 4) {
                        store.put(key, value);
                        expiring.remove(ref);
                    } else {
                        store.put(MemorySegment.ofArray(key), MemorySegment.ofArray(value));
                        expiring.remove(ref);
                    }
                    reference.put(ref, value);
                } else if (choice < 70) {
                    assertArrayEquals(reference.get(ref), store.get(key), where);
                } else if (choice < 80) {
                    long length = store.get(MemorySegment.ofArray(key), into);
                    byte[] expected = reference.get(ref);
                    assertEquals(expected == null ? -1 : expected.length, length, where);
                    if (expected != null) {
                        int n = (int) Math.min(length, into.byteSize());
                        assertArrayEquals(Arrays.copyOf(expected, n),
                                into.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), where);
                    }
                } else if (choice < 92) {
                    assertEquals(reference.remove(ref) != null, store.delete(key), where);
                    expiring.remove(ref);
                } else if (choice < 94) {
                    assertEquals(reference.containsKey(ref), store.expireAt(key, farFuture + op), where);
                    if (reference.containsKey(ref)) {
                        expiring.add(ref);
                    }
                } else if (choice < 96) {
                    store.update(key, (v, exp) -> v == null ? Update.keep() : Update.put(v, 0)); // PERSIST
                    expiring.remove(ref);
                } else {
                    assertEquals(reference.containsKey(ref), store.contains(key), where);
                }
                if (op % 10_000 == 0) {
                    assertEquals(reference.size(), store.size(), where);
                    assertEquals(expiring.size(), store.stats().expiringKeys(), where);
                }
            }
            assertEquals(reference.size(), store.size());
            for (Map.Entry<ByteBuffer, byte[]> e : reference.entrySet()) {
                assertArrayEquals(e.getValue(), store.get(e.getKey().array()));
            }
            assertEquals(expiring.size(), store.stats().expiringKeys());
            String summary = store.verify();
            assertTrue(summary.startsWith("keys=" + reference.size()), summary);
            NibbleStats stats = store.stats();
            assertTrue(stats.compactedSegments() > 0, "the workload should have needed compaction: " + stats);
        }
    }

    private static int randomValueSize(SplittableRandom random) {
        int r = random.nextInt(100);
        if (r < 5) {
            return 0;
        }
        if (r < 85) {
            return random.nextInt(600);
        }
        if (r < 99) {
            return 4000 + random.nextInt(9000); // spans blocks
        }
        return 150_000 + random.nextInt(150_000); // larger than a head segment: a dedicated segment
    }
}
