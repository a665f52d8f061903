package io.nibble.bench.cli;

import io.nibble.bench.run.Markdown;
import io.nibble.bench.run.Plot;
import io.nibble.bench.run.Results;
import io.nibble.bench.run.Row;
import io.nibble.bench.run.Stats;
import io.nibble.bench.run.WorkloadCommand;
import io.nibble.bench.store.Peer;
import io.nibble.bench.store.StoreSpec;
import io.nibble.bench.workload.Ycsb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** YCSB A, B, C and update-only, uniform and Zipfian, per value size (the dissertation's Fig. 18-19, 30-31). */
@Command(name = "ycsb", mixinStandardHelpOptions = true,
        description = "YCSB core workloads through each store's byte[] API. Each value size is a fresh store; "
                + "within it every (workload, distribution) cell runs for --seconds.")
public final class YcsbCommand extends WorkloadCommand {
    @Option(names = "--workloads", split = ",", description = "A (50/50), B (95/5), C (read only), U (update only) "
            + "(default: ${DEFAULT-VALUE}).")
    List<Ycsb.Mix> workloads = List.of(Ycsb.Mix.A, Ycsb.Mix.B, Ycsb.Mix.C, Ycsb.Mix.U);

    @Option(names = "--distributions", split = ",", description = "uniform, zipfian (theta 0.99) "
            + "(default: ${DEFAULT-VALUE}).")
    List<String> distributions = List.of("uniform", "zipfian");

    @Option(names = "--value-sizes", split = ",", description = "Value bytes (default: ${DEFAULT-VALUE}).")
    List<Integer> valueSizes = List.of(64, 1024);

    @Option(names = "--records", description = "Keys loaded (default: ${DEFAULT-VALUE}).")
    int records = 200_000;

    @Option(names = "--threads", description = "Client threads (default: ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(names = "--seconds", description = "Measured seconds per cell (default: ${DEFAULT-VALUE}).")
    double seconds = 5;

    @Option(names = "--warmup", description = "Unmeasured seconds after loading (default: ${DEFAULT-VALUE}).")
    double warmup = 5;

    @Override
    protected List<String> defaultStores() {
        return Peer.NAMES;
    }

    @Override
    protected List<String> parts() {
        return valueSizes.stream().map(v -> v + "B").toList();
    }

    @Override
    protected String config() {
        return String.format(Locale.ROOT, "%,d records, values %s B, %d threads, workloads %s, %s, %.0f s per cell "
                + "after %.0f s warm-up", records, valueSizes, threads, workloads, distributions, seconds, warmup);
    }

    @Override
    protected String heapFlag(Peer peer) {
        long data = (long) records * (valueSizes.stream().mapToInt(Integer::intValue).max().orElse(1024) + 64);
        return peer.onHeap() ? "-Xmx" + Math.max(1024, (data * 4) >> 20) + "m" : "-Xmx1g";
    }

    @Override
    protected List<Row> measure(Peer peer, String part, int trial) throws Exception {
        int valueSize = Integer.parseInt(part.substring(0, part.length() - 1));
        long capacity = YcsbRuns.capacityFor(records, valueSize);
        List<YcsbRuns.Cell> cells = new ArrayList<>();
        for (Ycsb.Mix mix : workloads) {
            for (String d : distributions) {
                cells.add(new YcsbRuns.Cell(mix, d));
            }
        }
        return YcsbRuns.run(peer, new StoreSpec(capacity, records, valueSize, valueSize), records, valueSize, cells,
                threads, seconds, warmup, trial, Map.of());
    }

    @Override
    protected String summary(Row row) {
        return YcsbRuns.summary(row);
    }

    @Override
    protected String report(Results results, List<String> stores, Path out) throws Exception {
        StringBuilder md = new StringBuilder();
        String first = stores.getFirst();
        for (Integer valueSize : valueSizes) {
            List<String> header = new ArrayList<>(List.of("workload", "distribution"));
            stores.forEach(s -> header.add(s + " ops/s"));
            stores.stream().skip(1).forEach(s -> header.add(first + " / " + s));
            Markdown table = new Markdown(header);
            List<String> categories = new ArrayList<>();
            List<List<Stats>> byStore = new ArrayList<>();
            stores.forEach(s -> byStore.add(new ArrayList<>()));
            for (Ycsb.Mix mix : workloads) {
                for (String d : distributions) {
                    categories.add(mix + " " + d);
                    List<String> cells = new ArrayList<>(List.of(mix.name(), d));
                    List<Stats> perStore = new ArrayList<>();
                    for (int i = 0; i < stores.size(); i++) {
                        Stats s = results.stats("ops_per_second", Map.of("store", stores.get(i), "workload",
                                mix.name(), "distribution", d, "value_size", String.valueOf(valueSize)));
                        perStore.add(s);
                        byStore.get(i).add(s);
                        cells.add(s.format("%,.0f"));
                    }
                    for (int i = 1; i < stores.size(); i++) {
                        cells.add(ratio(perStore.getFirst(), perStore.get(i)));
                    }
                    table.row(cells);
                }
            }
            md.append(String.format(Locale.ROOT, "### %d B values, %d threads, %,d records%n%n", valueSize, threads,
                    records)).append(table).append('\n');
            List<Plot.Series> series = new ArrayList<>();
            for (int i = 0; i < stores.size(); i++) {
                series.add(Plot.Series.of(stores.get(i), byStore.get(i), 1e6));
            }
            String png = "ycsb-" + valueSize + "B.png";
            Plot.bars(out.resolve(png), String.format(Locale.ROOT, "YCSB, %d B values, %d threads (median of %d)",
                    valueSize, threads, trials), "workload", "M ops/s", categories, series);
            md.append("![").append(png).append("](").append(png).append(")\n\n");
        }
        return md.toString();
    }

    /** Ratio of the medians; "-" when either store has no result. */
    static String ratio(Stats a, Stats b) {
        if (a.isEmpty() || b.isEmpty()) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", a.median() / b.median());
    }
}
