package io.nibble;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resident memory follows live data: fill a 2 GiB store to 85% with 1 KiB values, delete 90% at random, refill
 * with 1.3 KiB values; the process's VmRSS grows by at most 1.10x the live bytes. Keys and values come from
 * reused off-heap buffers so the Java heap does not grow under the measurement.
 */
class MemoryFootprintTest {
    private static final long CAPACITY = 2L << 30;

    @Test
    void residentMemoryFollowsLiveDataThroughDeleteAndRefill() throws Exception {
        System.gc();
        long rssBefore = vmRssBytes();
        try (Nibble store = Nibble.builder().capacity(CAPACITY).build(); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(16);
            MemorySegment value = arena.allocate(2048);
            for (long i = 0; i < value.byteSize(); i += 8) {
                value.set(ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L);
            }
            long target = CAPACITY * 85 / 100;
            long n = 0;
            while (store.stats().liveBytes() < target) {
                for (int batch = 0; batch < 10_000; batch++) {
                    key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, n++);
                    store.put(key, value.asSlice(0, 1024));
                }
            }
            long filled = n;
            long deleted = 0;
            for (long i = 0; i < filled; i++) {
                if (Long.remainderUnsigned(mix(i), 10) != 0) { // 90% of keys, picked at random
                    key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                    deleted += store.delete(key) ? 1 : 0;
                }
            }
            assertTrue(deleted > filled * 85 / 100, "deleted " + deleted + " of " + filled);
            MemorySegment larger = value.asSlice(0, 1331);
            while (store.stats().liveBytes() < target) {
                for (int batch = 0; batch < 10_000; batch++) {
                    key.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, n++);
                    store.put(key, larger);
                }
            }
            NibbleStats stats = store.stats();
            long rssAfter = vmRssBytes();
            long growth = rssAfter - rssBefore;
            double ratio = (double) growth / stats.liveBytes();
            System.out.printf("memory: RSS grew %,d bytes for %,d live bytes (%.3fx); %s%n", growth,
                    stats.liveBytes(), ratio, stats);
            assertEquals(filled - deleted + (n - filled), store.size());
            assertTrue(ratio <= 1.10, "resident memory grew " + ratio + "x the live bytes");
            assertTrue(stats.residentBytes() <= stats.liveBytes() * 1.10,
                    "the store's own resident count is over 1.10x live: " + stats);
        }
    }

    private static long mix(long x) {
        x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
        return x ^ (x >>> 33);
    }

    static long vmRssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
