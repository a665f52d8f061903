package io.nibble;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defaults suit small stores: at 85% utilisation a 64-256 MiB store keeps accepting overwrites. */
class SmallStoreTest {

    @ParameterizedTest
    @CsvSource({"64, APPEND", "64, IN_PLACE", "128, APPEND", "256, APPEND"})
    void keepsAcceptingWritesAt85Percent(int megabytes, UpdateMode mode) {
        long capacity = (long) megabytes << 20;
        try (Nibble store = Nibble.builder().capacity(capacity).updateMode(mode).build()) {
            int valueSize = 1000;
            int keys = (int) (capacity * 85 / 100 / (valueSize + 40));
            byte[] value = new byte[valueSize];
            for (int i = 0; i < keys; i++) {
                store.put(TestValues.key(i), value);
            }
            double filled = store.stats().utilisation();
            assertTrue(filled >= 0.84, "the fill should reach 85% of capacity: " + filled);
            SplittableRandom random = new SplittableRandom(megabytes);
            for (int i = 0; i < keys * 3; i++) {
                store.put(TestValues.key(random.nextInt(keys)), new byte[valueSize - random.nextInt(48)]);
            }
            NibbleStats stats = store.stats();
            assertEquals(keys, stats.keys());
            assertEquals(0, stats.fullRejections());
            assertTrue(stats.utilisation() > 0.82, stats.toString());
            store.verify();
        }
    }
}
