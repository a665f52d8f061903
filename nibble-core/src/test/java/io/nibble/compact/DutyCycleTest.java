package io.nibble.compact;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DutyCycleTest {

    @Test
    void aRunIsFollowedByAPauseThatKeepsItsShare() {
        DutyCycle pace = new DutyCycle(0.1);
        assertTrue(pace.allowed(System.nanoTime()), "nothing ran yet");
        long start = 5_000_000_000L;
        pace.ran(start, start + 1_000_000); // 1 ms of work at a 10% share: 9 ms of pause
        assertFalse(pace.allowed(start + 1_000_000));
        assertFalse(pace.allowed(start + 9_999_999));
        assertTrue(pace.allowed(start + 10_000_000));
        pace.ran(start + 10_000_000, start + 10_000_000); // an instant run asks for no pause
        assertTrue(pace.allowed(start + 10_000_000));
    }

    @Test
    void theShareMustBeAFraction() {
        assertThrows(IllegalArgumentException.class, () -> new DutyCycle(0));
        assertThrows(IllegalArgumentException.class, () -> new DutyCycle(1.5));
        assertThrows(IllegalArgumentException.class, () -> new DutyCycle(Double.NaN));
    }
}
