package io.nibble.bench.workload;

import java.util.SplittableRandom;

/**
 * Picks record indices in {@code [0, items)}: uniformly, or Zipfian with skew theta as YCSB does (Gray et al.'s
 * generator), with the popular items scattered over the key space by a hash so that hot keys are not neighbours.
 */
public final class KeyChooser {
    private final long items;
    private final boolean zipfian;
    private final double theta;
    private final double zetan;
    private final double alpha;
    private final double eta;

    private KeyChooser(long items, boolean zipfian, double theta) {
        if (items < 1) {
            throw new IllegalArgumentException("items must be positive: " + items);
        }
        this.items = items;
        this.zipfian = zipfian;
        this.theta = theta;
        if (zipfian) {
            double zeta2 = zeta(2, theta);
            this.zetan = zeta(items, theta);
            this.alpha = 1.0 / (1.0 - theta);
            this.eta = (1 - Math.pow(2.0 / items, 1 - theta)) / (1 - zeta2 / zetan);
        } else {
            this.zetan = 0;
            this.alpha = 0;
            this.eta = 0;
        }
    }

    public static KeyChooser uniform(long items) {
        return new KeyChooser(items, false, 0);
    }

    /** YCSB's default skew is 0.99. */
    public static KeyChooser zipfian(long items, double theta) {
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("theta must be in (0, 1): " + theta);
        }
        return new KeyChooser(items, true, theta);
    }

    private static double zeta(long n, double theta) {
        double sum = 0;
        for (long i = 1; i <= n; i++) {
            sum += 1 / Math.pow(i, theta);
        }
        return sum;
    }

    public long next(SplittableRandom random) {
        if (!zipfian) {
            return random.nextLong(items);
        }
        double u = random.nextDouble();
        double uz = u * zetan;
        long rank;
        if (uz < 1.0) {
            rank = 0;
        } else if (uz < 1.0 + Math.pow(0.5, theta)) {
            rank = 1;
        } else {
            rank = (long) (items * Math.pow(eta * u - eta + 1, alpha));
        }
        return Math.floorMod(scramble(Math.min(rank, items - 1)), items);
    }

    private static long scramble(long rank) {
        long x = rank + 0x9E3779B97F4A7C15L; // offset first: the mixer maps 0 to 0
        x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
        x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return x ^ (x >>> 33);
    }
}
