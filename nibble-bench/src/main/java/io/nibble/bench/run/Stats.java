package io.nibble.bench.run;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Median and spread of repeated trials. */
public record Stats(double median, double min, double max, int n) {

    public static Stats of(List<Double> values) {
        if (values.isEmpty()) {
            return new Stats(Double.NaN, Double.NaN, Double.NaN, 0);
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        return new Stats(median, v[0], v[n - 1], n);
    }

    public boolean isEmpty() {
        return n == 0;
    }

    /** Half the range, drawn as the error bar. */
    public double halfRange() {
        return n == 0 ? 0 : (max - min) / 2;
    }

    /** "median [min-max]" with the given format for each number; "-" when nothing was measured. */
    public String format(String numberFormat) {
        if (n == 0) {
            return "-";
        }
        if (n == 1) {
            return String.format(Locale.ROOT, numberFormat, median);
        }
        return String.format(Locale.ROOT, numberFormat + " [" + numberFormat + "-" + numberFormat + "]",
                median, min, max);
    }
}
