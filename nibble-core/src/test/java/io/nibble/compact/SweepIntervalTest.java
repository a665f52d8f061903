package io.nibble.compact;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** When an expiry sweep comes back to a segment: once a tenth of what it left there is due, and not within 1 s. */
class SweepIntervalTest {

    @Test
    void aSegmentIsSweptAgainOnceATenthOfItsExpiringRecordsIsDue() {
        long now = 1_000_000;
        long[] spread = new long[100];
        for (int i = 0; i < spread.length; i++) {
            spread[i] = now + 60_000L * (spread.length - i); // one a minute, for 100 minutes, in reverse order
        }
        assertEquals(now + 600_000, Compactor.nextSweep(spread, now), "the 10th earliest of 100");
        assertEquals(now + 1_000, Compactor.nextSweep(new long[] {now + 10, now + 3_600_000}, now),
                "an expiry due sooner than a second waits a second");
        assertEquals(now + 5_000, Compactor.nextSweep(new long[] {now + 5_000, now + 3_600_000}, now),
                "with fewer than ten left, the earliest decides");
        assertEquals(Long.MAX_VALUE, Compactor.nextSweep(new long[0], now), "nothing left: never");
    }
}
