package io.nibble.server;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop-count policy fed with scripted samples: when it tries a move, and what it keeps. */
class LoopPolicyTest {
    private static double[] demand(int loops, double each) {
        double[] d = new double[loops];
        Arrays.fill(d, each);
        return d;
    }

    /** Feeds {@code ticks} samples of one load and returns the loops in use after each. */
    private static int[] run(LoopPolicy p, int ticks, double demand, double rate) {
        int[] out = new int[ticks];
        for (int t = 0; t < ticks; t++) {
            out[t] = p.onSample(demand(p.active(), demand), rate, false);
        }
        return out;
    }

    private static int ticksToJudge() {
        return LoopPolicy.SETTLE_TICKS + LoopPolicy.TRIAL_TICKS;
    }

    @Test
    void aSaturatedLoopGetsCompanyWhenThatRaisesThroughput() {
        LoopPolicy p = new LoopPolicy(4);
        run(p, LoopPolicy.TRIAL_TICKS, 0.99, 100_000);
        assertEquals(2, p.active(), "every loop saturated long enough: one more is tried");
        assertTrue(p.onTrial());
        run(p, ticksToJudge(), 0.99, 160_000);
        assertFalse(p.onTrial());
        assertEquals(2, p.active(), "throughput rose: the second loop stays");
        run(p, LoopPolicy.SATURATED_TICKS + 1, 0.99, 160_000);
        assertEquals(3, p.active(), "still saturated: a third is tried");
    }

    /** Feeds one load until the policy changes the loop count; returns the ticks that took, the last included. */
    private static int ticksUntilChange(LoopPolicy p, double demand, double rate, boolean newLoad) {
        int before = p.active();
        for (int t = 1; t <= 100_000; t++) {
            if (p.onSample(demand(p.active(), demand), rate, newLoad && t == 1) != before) {
                return t;
            }
        }
        return -1;
    }

    @Test
    void aGrowThatDoesNotPayIsUndoneAndRetriedAfterADoublingBackOff() {
        LoopPolicy p = new LoopPolicy(2);
        run(p, LoopPolicy.TRIAL_TICKS, 0.99, 100_000);
        assertEquals(2, p.active());
        run(p, ticksToJudge(), 0.60, 101_000);
        assertEquals(1, p.active(), "no gain: back to one loop");
        assertEquals(LoopPolicy.MIN_BACKOFF_TICKS, ticksUntilChange(p, 0.99, 100_000, false),
                "saturated throughout, it waits out the back-off before trying again");
        run(p, ticksToJudge(), 0.60, 100_000);
        assertEquals(1, p.active());
        assertEquals(2 * LoopPolicy.MIN_BACKOFF_TICKS, ticksUntilChange(p, 0.99, 100_000, false),
                "a second failure doubles the back-off");
    }

    @Test
    void spareLoopsAreGivenBackWhenThroughputHolds() {
        LoopPolicy p = new LoopPolicy(2);
        run(p, LoopPolicy.TRIAL_TICKS, 0.99, 100_000);
        run(p, ticksToJudge(), 0.99, 200_000);
        assertEquals(2, p.active());
        int[] spare = run(p, LoopPolicy.SPARE_TICKS, 0.5, 80_000);
        assertEquals(1, spare[spare.length - 1], "no loop saturated for a while: one fewer is tried");
        run(p, ticksToJudge(), 0.85, 79_000);
        assertEquals(1, p.active(), "throughput held within the tolerance: one loop is enough");
    }

    @Test
    void aShrinkThatCostsThroughputIsUndoneAndBacksOffUntilANewLoadArrives() {
        LoopPolicy p = new LoopPolicy(2);
        run(p, LoopPolicy.TRIAL_TICKS, 0.99, 100_000);
        run(p, ticksToJudge(), 0.8, 200_000);
        assertEquals(2, p.active());
        assertEquals(LoopPolicy.SPARE_TICKS, ticksUntilChange(p, 0.8, 200_000, false));
        assertEquals(1, p.active());
        run(p, ticksToJudge(), 1.0, 120_000);
        assertEquals(2, p.active(), "throughput fell: both loops again");
        assertEquals(LoopPolicy.MIN_BACKOFF_TICKS, ticksUntilChange(p, 0.8, 200_000, false));
        run(p, ticksToJudge(), 1.0, 120_000);
        assertEquals(2, p.active());
        // New clients: the back-off learnt on the old ones is forgotten, and the policy tries as soon as it may.
        assertEquals(LoopPolicy.SPARE_TICKS, ticksUntilChange(p, 0.8, 200_000, true));
    }

    @Test
    void busyLoopsThatCompleteNoCommandsGainNothingFromCompany() {
        LoopPolicy p = new LoopPolicy(2);
        run(p, LoopPolicy.TRIAL_TICKS, 0.99, 0);
        assertEquals(2, p.active(), "saturated: a second loop is tried");
        run(p, ticksToJudge(), 0.99, 0);
        assertEquals(1, p.active(), "no commands before or after: the trial is undone");
    }

    @Test
    void anIdleServerSettlesOnOneLoopAndStaysThere() {
        LoopPolicy p = new LoopPolicy(8);
        int[] loops = run(p, 1000, 0.0, 0);
        assertTrue(Arrays.stream(loops).allMatch(n -> n == 1), Arrays.toString(loops));
    }

    @Test
    void neverLeavesTheRangeOfLoopsItWasGiven() {
        LoopPolicy p = new LoopPolicy(3);
        java.util.Random random = new java.util.Random(7);
        for (int t = 0; t < 100_000; t++) {
            int n = p.onSample(demand(p.active(), random.nextDouble()), random.nextDouble() * 1e6,
                    random.nextInt(50) == 0);
            assertTrue(n >= 1 && n <= 3, "loops " + n + " at tick " + t);
        }
    }
}
