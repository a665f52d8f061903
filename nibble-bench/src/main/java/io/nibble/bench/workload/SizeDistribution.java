package io.nibble.bench.workload;

import java.util.SplittableRandom;

/** Object sizes for the fragmentation benchmark: {@code fixed:N} or {@code uniform:MIN-MAX} (inclusive). */
public record SizeDistribution(int min, int max) {
    public SizeDistribution {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException("sizes must satisfy 1 <= min <= max: " + min + ", " + max);
        }
    }

    public static SizeDistribution parse(String text) {
        String[] kind = text.split(":", 2);
        if (kind.length == 2 && kind[0].equals("fixed")) {
            int n = Integer.parseInt(kind[1]);
            return new SizeDistribution(n, n);
        }
        if (kind.length == 2 && kind[0].equals("uniform")) {
            String[] range = kind[1].split("-", 2);
            if (range.length == 2) {
                return new SizeDistribution(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
            }
        }
        throw new IllegalArgumentException("size distribution must be fixed:N or uniform:MIN-MAX, got '" + text
                + "'");
    }

    public int next(SplittableRandom random) {
        return min == max ? min : random.nextInt(min, max + 1);
    }

    public double mean() {
        return (min + max) / 2.0;
    }

    @Override
    public String toString() {
        return min == max ? "fixed:" + min : "uniform:" + min + "-" + max;
    }
}
