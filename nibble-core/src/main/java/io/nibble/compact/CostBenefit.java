package io.nibble.compact;

/**
 * The cleaning policy's arithmetic. A segment's score is {@code (1-u) * age / (1+u)}: the free space compaction
 * gains, weighted by how long the data has been stable, over the cost of reading the segment and writing its live
 * part. Older data is less likely to die soon, so cleaning it now is worth more (Rumble et al., after LFS).
 */
public final class CostBenefit {
    private CostBenefit() { }

    /** Fraction of a segment's bytes that are live, in [0, 1]. */
    public static double utilisation(long liveBytes, long segmentBytes) {
        if (segmentBytes <= 0) {
            return 1;
        }
        return Math.clamp((double) liveBytes / segmentBytes, 0.0, 1.0);
    }

    /** The cost-benefit score; higher is a better victim. */
    public static double score(double utilisation, long ageNanos) {
        double u = Math.clamp(utilisation, 0.0, 1.0);
        double age = Math.max(1, ageNanos);
        return (1 - u) * age / (1 + u);
    }
}
