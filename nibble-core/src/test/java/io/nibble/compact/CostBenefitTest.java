package io.nibble.compact;

import io.nibble.Nibble;
import io.nibble.NibbleStats;
import io.nibble.UpdateMode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CostBenefitTest {

    @Test
    void emptierAndOlderSegmentsScoreHigher() {
        long age = TimeUnit.SECONDS.toNanos(10);
        assertTrue(CostBenefit.score(0.1, age) > CostBenefit.score(0.5, age));
        assertTrue(CostBenefit.score(0.5, age) > CostBenefit.score(0.9, age));
        assertTrue(CostBenefit.score(0.5, 2 * age) > CostBenefit.score(0.5, age));
        assertEquals(0.0, CostBenefit.score(1.0, age));
        // The formula itself: (1-u) * age / (1+u).
        assertEquals((1 - 0.25) * age / 1.25, CostBenefit.score(0.25, age), 1e-6);
        // An old, fairly full segment can beat a young, emptier one: age buys stability.
        assertTrue(CostBenefit.score(0.6, 100 * age) > CostBenefit.score(0.3, age));
    }

    @Test
    void utilisationIsClampedToTheUnitInterval() {
        assertEquals(0.0, CostBenefit.utilisation(-5, 100));
        assertEquals(1.0, CostBenefit.utilisation(500, 100));
        assertEquals(0.25, CostBenefit.utilisation(25, 100));
        assertEquals(1.0, CostBenefit.utilisation(0, 0));
    }

    /**
     * Selection in a running store: after most keys are deleted, the tidying pass cleans the emptied segments
     * without any memory pressure, and resident memory falls back towards live data.
     */
    @Test
    void emptiedSegmentsAreCleanedWithoutPressure() throws Exception {
        try (Nibble store = Nibble.builder().capacity(256L << 20).updateMode(UpdateMode.APPEND).build()) {
            byte[] value = new byte[1000];
            int keys = 60_000;
            for (int i = 0; i < keys; i++) {
                store.put(key(i), value);
            }
            NibbleStats full = store.stats();
            for (int i = 0; i < keys; i++) {
                if (i % 4 != 0) {
                    store.delete(key(i));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            NibbleStats s = store.stats();
            while (s.usedBytes() > s.liveBytes() * 1.3 && System.nanoTime() < deadline) {
                Thread.sleep(50);
                s = store.stats();
            }
            assertTrue(s.compactedSegments() > 0, s.toString());
            assertTrue(s.usedBytes() <= s.liveBytes() * 1.3,
                    "tidying should bring used memory near live data: " + s + " (was " + full + ")");
            assertTrue(s.usedBytes() < full.usedBytes() / 2);
            for (int i = 0; i < keys; i += 4) {
                assertEquals(1000, store.get(key(i)).length);
            }
            store.verify();
        }
    }

    private static byte[] key(int i) {
        return ("segment-test-" + i).getBytes(StandardCharsets.US_ASCII);
    }
}
