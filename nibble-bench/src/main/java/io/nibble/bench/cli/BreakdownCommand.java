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

/**
 * The component ablations of the dissertation's Fig. 12-13, end to end: the engine with one design choice
 * reverted at a time, by thread count. The JMH benchmarks measure the same choices per operation.
 */
@Command(name = "breakdown", mixinStandardHelpOptions = true,
        description = "Engine ablations (shared epoch slots, one log head, random head choice) against the "
                + "design, per thread count, for update-only and read-only YCSB.")
public final class BreakdownCommand extends WorkloadCommand {
    @Option(names = "--threads", split = ",", description = "Thread counts (default: 1 up to the cores).")
    List<Integer> threads;

    @Option(names = "--workloads", split = ",", description = "YCSB mixes (default: ${DEFAULT-VALUE}).")
    List<Ycsb.Mix> workloads = List.of(Ycsb.Mix.U, Ycsb.Mix.C);

    @Option(names = "--records", description = "Keys loaded (default: ${DEFAULT-VALUE}).")
    int records = 200_000;

    @Option(names = "--value-size", description = "Value bytes (default: ${DEFAULT-VALUE}).")
    int valueSize = 64;

    @Option(names = "--seconds", description = "Measured seconds per cell (default: ${DEFAULT-VALUE}).")
    double seconds = 5;

    @Option(names = "--warmup", description = "Unmeasured seconds after loading (default: ${DEFAULT-VALUE}).")
    double warmup = 3;

    /** Append mode: every update goes through a log head, so the head choices show. */
    @Override
    protected List<String> defaultStores() {
        return List.of("nibble-append", "nibble-append+shared-epoch", "nibble-append+one-head",
                "nibble-append+random-head");
    }

    private List<Integer> threadCounts() {
        if (threads != null) {
            return threads;
        }
        List<Integer> counts = new ArrayList<>();
        for (int t = 1; t <= Runtime.getRuntime().availableProcessors(); t *= 2) {
            counts.add(t);
        }
        return counts;
    }

    @Override
    protected List<String> parts() {
        return threadCounts().stream().map(t -> t + "t").toList();
    }

    @Override
    protected String config() {
        return String.format(Locale.ROOT, "%,d records x %d B, workloads %s uniform, threads %s, %.0f s per cell",
                records, valueSize, workloads, threadCounts(), seconds);
    }

    @Override
    protected List<Row> measure(Peer peer, String part, int trial) throws Exception {
        int t = Integer.parseInt(part.substring(0, part.length() - 1));
        long capacity = YcsbRuns.capacityFor(records, valueSize);
        List<YcsbRuns.Cell> cells = workloads.stream().map(m -> new YcsbRuns.Cell(m, "uniform")).toList();
        return YcsbRuns.run(peer, new StoreSpec(capacity, records, valueSize, valueSize), records, valueSize, cells,
                t, seconds, warmup, trial, Map.of());
    }

    @Override
    protected String summary(Row row) {
        return YcsbRuns.summary(row);
    }

    @Override
    protected String report(Results results, List<String> stores, Path out) throws Exception {
        StringBuilder md = new StringBuilder();
        String design = stores.getFirst();
        for (Ycsb.Mix mix : workloads) {
            List<String> header = new ArrayList<>(List.of("threads"));
            stores.forEach(s -> header.add(s + " ops/s"));
            stores.stream().skip(1).forEach(s -> header.add(s + " / " + design));
            Markdown table = new Markdown(header);
            List<String> categories = new ArrayList<>();
            List<List<Stats>> byStore = new ArrayList<>();
            stores.forEach(s -> byStore.add(new ArrayList<>()));
            for (int t : threadCounts()) {
                categories.add(t + " thread" + (t == 1 ? "" : "s"));
                List<String> cells = new ArrayList<>(List.of(String.valueOf(t)));
                List<Stats> perStore = new ArrayList<>();
                for (int i = 0; i < stores.size(); i++) {
                    Stats st = results.stats("ops_per_second", Map.of("store", stores.get(i), "workload", mix.name(),
                            "threads", String.valueOf(t)));
                    perStore.add(st);
                    byStore.get(i).add(st);
                    cells.add(st.format("%,.0f"));
                }
                for (int i = 1; i < stores.size(); i++) {
                    cells.add(YcsbCommand.ratio(perStore.get(i), perStore.getFirst()));
                }
                table.row(cells);
            }
            List<Plot.Series> series = new ArrayList<>();
            for (int i = 0; i < stores.size(); i++) {
                series.add(Plot.Series.of(stores.get(i), byStore.get(i), 1e6));
            }
            String png = "breakdown-" + mix + ".png";
            Plot.bars(out.resolve(png), String.format(Locale.ROOT, "Ablations, YCSB %s uniform, %d B values "
                    + "(median of %d)", mix, valueSize, trials), "threads", "M ops/s", categories, series);
            md.append("### YCSB ").append(mix).append(" uniform (median [min-max])\n\n").append(table)
                    .append("\n![").append(png).append("](").append(png).append(")\n\n");
        }
        return md.toString();
    }
}
