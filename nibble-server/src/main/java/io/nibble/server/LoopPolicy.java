package io.nibble.server;

/**
 * Decides how many event loops serve connections, from one sample per tick: how busy each active loop was and how
 * many commands the server completed.
 *
 * <p>Fewer loops means fewer sleeps and wake-ups per request (each loop finds more work per wake-up), and leaves
 * cores to the rest of the machine; more loops means more cores for commands. Neither is right for every load, so
 * the policy experiments, like a hill climber:
 * <ul>
 *   <li>When every active loop is saturated (it was running or runnable nearly the whole tick), it tries one loop
 *       more.</li>
 *   <li>When no active loop is saturated, the load might fit in fewer, so it tries one loop less.</li>
 *   <li>A trial lets the move settle, then measures throughput. A grow is kept only if throughput rose by
 *       {@link #GROW_GAIN}; a shrink is kept unless throughput fell below {@link #SHRINK_KEEP}. A failed trial is
 *       undone, and that direction is not tried again for a back-off that doubles with each failure.</li>
 *   <li>A new set of clients is a new load: back-offs learnt on the old one are forgotten.</li>
 * </ul>
 * Not thread-safe: one balancer thread owns it.
 */
final class LoopPolicy {
    /** A loop running or waiting to run for this share of a tick has no idle time left. */
    static final double SATURATED = 0.9;
    /** Ticks in a row every loop must be saturated before one more is tried. */
    static final int SATURATED_TICKS = 2;
    /** Ticks in a row with no loop saturated before one fewer is tried. */
    static final int SPARE_TICKS = 10;
    /** Ticks after a move that are not measured: connections are still moving. */
    static final int SETTLE_TICKS = 1;
    /** Ticks measured to judge a move, and the history that is its baseline. */
    static final int TRIAL_TICKS = 2;
    /** A grow must raise throughput by this factor to be kept. */
    static final double GROW_GAIN = 1.05;
    /** A shrink is kept while throughput stays above this share of the baseline. */
    static final double SHRINK_KEEP = 0.97;
    static final int MIN_BACKOFF_TICKS = 20;
    static final int MAX_BACKOFF_TICKS = 600;

    private final int maxLoops;
    private int active;
    private long tick;

    private final double[] history = new double[TRIAL_TICKS];
    private int historyCount;
    private int saturatedRun;
    private int spareRun;

    /** Loops before the move on trial; -1 when no trial runs. */
    private int trialFrom = -1;
    private int trialTicks;
    private double trialBaseline;
    private double trialSum;

    private long growBlockedUntil;
    private long shrinkBlockedUntil;
    private int growBackoff = MIN_BACKOFF_TICKS;
    private int shrinkBackoff = MIN_BACKOFF_TICKS;

    LoopPolicy(int maxLoops) {
        if (maxLoops < 1) {
            throw new IllegalArgumentException("maxLoops must be at least 1: " + maxLoops);
        }
        this.maxLoops = maxLoops;
        this.active = 1;
    }

    int active() {
        return active;
    }

    boolean onTrial() {
        return trialFrom >= 0;
    }

    /**
     * Takes one tick's sample and returns how many loops to use from now on.
     *
     * @param demand   for each of the {@link #active()} loops, the share of the tick it ran or waited to run
     * @param rate     commands completed per second over the tick
     * @param newLoad  whether most connections are new since the last sample (a new set of clients)
     */
    int onSample(double[] demand, double rate, boolean newLoad) {
        tick++;
        if (newLoad) {
            growBlockedUntil = shrinkBlockedUntil = 0;
            growBackoff = shrinkBackoff = MIN_BACKOFF_TICKS;
        }
        if (trialFrom >= 0) {
            judgeTrial(rate);
            return active;
        }
        history[(int) (tick % TRIAL_TICKS)] = rate;
        historyCount = Math.min(historyCount + 1, TRIAL_TICKS);
        boolean allSaturated = true;
        boolean anySaturated = false;
        for (int i = 0; i < active; i++) {
            boolean saturated = demand[i] >= SATURATED;
            allSaturated &= saturated;
            anySaturated |= saturated;
        }
        saturatedRun = allSaturated ? saturatedRun + 1 : 0;
        spareRun = anySaturated ? 0 : spareRun + 1;
        if (historyCount < TRIAL_TICKS) {
            return active;
        }
        if (active < maxLoops && saturatedRun >= SATURATED_TICKS && tick >= growBlockedUntil) {
            startTrial(active + 1);
        } else if (active > 1 && spareRun >= SPARE_TICKS && tick >= shrinkBlockedUntil) {
            startTrial(active - 1);
        }
        return active;
    }

    private void startTrial(int loops) {
        double sum = 0;
        for (double r : history) {
            sum += r;
        }
        trialBaseline = sum / TRIAL_TICKS;
        trialFrom = active;
        trialTicks = 0;
        trialSum = 0;
        active = loops;
    }

    private void judgeTrial(double rate) {
        trialTicks++;
        if (trialTicks <= SETTLE_TICKS) {
            return;
        }
        trialSum += rate;
        if (trialTicks < SETTLE_TICKS + TRIAL_TICKS) {
            return;
        }
        double after = trialSum / TRIAL_TICKS;
        boolean grew = active > trialFrom;
        // Strictly above for a grow: with no commands before and after (a busy start-up, say) nothing was gained.
        boolean keep = grew ? after > trialBaseline * GROW_GAIN : after >= trialBaseline * SHRINK_KEEP;
        if (grew) {
            if (keep) {
                growBackoff = MIN_BACKOFF_TICKS;
            } else {
                growBlockedUntil = tick + growBackoff;
                growBackoff = Math.min(growBackoff * 2, MAX_BACKOFF_TICKS);
            }
        } else if (keep) {
            shrinkBackoff = MIN_BACKOFF_TICKS;
        } else {
            shrinkBlockedUntil = tick + shrinkBackoff;
            shrinkBackoff = Math.min(shrinkBackoff * 2, MAX_BACKOFF_TICKS);
        }
        if (!keep) {
            active = trialFrom;
        }
        trialFrom = -1;
        historyCount = 0;
        saturatedRun = 0;
        spareRun = 0;
    }
}
