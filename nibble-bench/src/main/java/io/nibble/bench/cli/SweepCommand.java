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

/** YCSB-A throughput as live data fills the store (the dissertation's Fig. 20 and 29): append against in-place. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "YCSB-A at live data of --fills percent of --capacity; each fill level is a fresh store.")
public final class SweepCommand extends WorkloadCommand {
    @Option(names = "--capacity", description = "Store capacity in bytes (default: ${DEFAULT-VALUE}).")
    long capacity = 1L << 30;

    @Option(names = "--fills", split = ",", description = "Live keys and values as %% of capacity "
            + "(default: ${DEFAULT-VALUE}).")
    List<Integer> fills = List.of(10, 30, 50, 70, 80, 90);

    @Option(names = "--value-size", description = "Value bytes (default: ${DEFAULT-VALUE}).")
    int valueSize = 1024;

    @Option(names = "--distribution", description = "uniform or zipfian (default: ${DEFAULT-VALUE}).")
    String distribution = "uniform";

    @Option(names = "--threads", description = "Client threads (default: ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(names = "--seconds", description = "Measured seconds per fill level (default: ${DEFAULT-VALUE}).")
    double seconds = 8;

    @Option(names = "--warmup", description = "Unmeasured seconds after loading (default: ${DEFAULT-VALUE}).")
    double warmup = 5;

    @Override
    protected List<String> defaultStores() {
        return List.of("nibble-inplace", "nibble-append");
    }

    @Override
    protected List<String> parts() {
        return fills.stream().map(f -> f + "pct").toList();
    }

    @Override
    protected String config() {
        return String.format(Locale.ROOT, "capacity %,d MiB, fills %s%%, %d B values, YCSB-A %s, %d threads, "
                + "%.0f s per level after %.0f s warm-up", capacity >> 20, fills, valueSize, distribution, threads,
                seconds, warmup);
    }

    @Override
    protected String heapFlag(Peer peer) {
        return peer.onHeap() ? "-Xmx" + Math.max(1024, (capacity * 4) >> 20) + "m" : "-Xmx1g";
    }

    @Override
    protected List<String> workerFlags(Peer peer) {
        return List.of("-XX:MaxDirectMemorySize=" + capacity * 2);
    }

    @Override
    protected List<Row> measure(Peer peer, String part, int trial) throws Exception {
        int fill = Integer.parseInt(part.substring(0, part.length() - 3));
        int records = (int) (capacity * fill / 100 / (valueSize + Ycsb.key(0).length));
        return YcsbRuns.run(peer, new StoreSpec(capacity, records, valueSize, valueSize), records, valueSize,
                List.of(new YcsbRuns.Cell(Ycsb.Mix.A, distribution)), threads, seconds, warmup, trial,
                Map.of("fill_pct", fill));
    }

    @Override
    protected String summary(Row row) {
        return row.get("fill_pct") + "% full: " + YcsbRuns.summary(row);
    }

    @Override
    protected String report(Results results, List<String> stores, Path out) throws Exception {
        List<String> header = new ArrayList<>(List.of("live / capacity"));
        stores.forEach(s -> header.add(s + " ops/s"));
        stores.forEach(s -> header.add(s + " vs lowest fill"));
        Markdown table = new Markdown(header);
        List<Plot.Series> series = new ArrayList<>();
        List<List<Stats>> byStore = new ArrayList<>();
        stores.forEach(s -> byStore.add(new ArrayList<>()));
        for (int fill : fills) {
            List<String> cells = new ArrayList<>(List.of(fill + "%"));
            List<String> relative = new ArrayList<>();
            for (int i = 0; i < stores.size(); i++) {
                Stats st = results.stats("ops_per_second", Map.of("store", stores.get(i), "fill_pct",
                        String.valueOf(fill)));
                Stats base = results.stats("ops_per_second", Map.of("store", stores.get(i), "fill_pct",
                        String.valueOf(fills.getFirst())));
                cells.add(st.format("%,.0f"));
                relative.add(YcsbCommand.ratio(st, base));
                byStore.get(i).add(st);
            }
            cells.addAll(relative);
            table.row(cells);
        }
        for (int i = 0; i < stores.size(); i++) {
            series.add(Plot.Series.of(stores.get(i), byStore.get(i), 1e6));
        }
        Plot.lines(out.resolve("sweep.png"), String.format(Locale.ROOT, "YCSB-A %s, %d B values, %d threads, by "
                        + "fill of %,d MiB (median of %d)", distribution, valueSize, threads, capacity >> 20, trials),
                "live data (% of capacity)", "M ops/s", fills.stream().map(Integer::doubleValue).toList(), series);
        return "### YCSB-A throughput by fill (median [min-max])\n\n" + table + "\n![sweep.png](sweep.png)\n";
    }
}
