package io.nibble.bench.run;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** PNG charts of medians with the trial range as error bars. Rendering needs no display (headless AWT). */
public final class Plot {
    /** One line or bar group: a store's medians over the x values, with half-range error bars. */
    public record Series(String name, List<Double> y, List<Double> error) {
        /** Medians and half ranges of {@code stats}, divided by {@code unit} (1e6 for millions). */
        public static Series of(String name, List<Stats> stats, double unit) {
            return new Series(name, stats.stream().map(s -> s.median() / unit).toList(),
                    stats.stream().map(s -> s.halfRange() / unit).toList());
        }
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plot() { }

    public static void bars(Path file, String title, String xTitle, String yTitle, List<String> categories,
                            List<Series> series) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(560).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setErrorBarsColorSeriesColor(true);
        chart.getStyler().setXAxisLabelRotation(categories.size() > 6 ? 30 : 0);
        for (Series s : series) {
            chart.addSeries(s.name(), categories, zeroNaN(s.y()), zeroNaN(s.error()));
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    public static void lines(Path file, String title, String xTitle, String yTitle, List<Double> x,
                             List<Series> series) throws IOException {
        XYChart chart = new XYChartBuilder().width(1000).height(560).title(title)
                .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setErrorBarsColorSeriesColor(true);
        for (Series s : series) {
            // A point a store failed to produce is left out of its line rather than drawn at zero.
            List<Integer> kept = java.util.stream.IntStream.range(0, x.size())
                    .filter(i -> !s.y().get(i).isNaN()).boxed().toList();
            if (!kept.isEmpty()) {
                chart.addSeries(s.name(), kept.stream().map(x::get).toList(), kept.stream().map(s.y()::get).toList(),
                        kept.stream().map(s.error()::get).toList());
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** A store that failed has no value; XChart cannot draw NaN, so it shows as an empty bar. */
    private static List<Double> zeroNaN(List<Double> values) {
        return values.stream().map(v -> v.isNaN() ? 0.0 : v).toList();
    }
}
