package io.nibble.bench.cli;

import io.nibble.bench.run.Fork;
import io.nibble.bench.run.Row;
import io.nibble.bench.store.KvStore;
import io.nibble.bench.store.Peer;
import io.nibble.bench.store.StoreSpec;
import io.nibble.bench.workload.KeyChooser;
import io.nibble.bench.workload.Ycsb;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The worker side shared by ycsb, sweep and breakdown: open, load, warm up, then run each cell once. */
final class YcsbRuns {
    private YcsbRuns() { }

    /** One cell of the grid: a mix and a key distribution. */
    record Cell(Ycsb.Mix mix, String distribution) { }

    static List<Row> run(Peer peer, StoreSpec spec, int records, int valueSize, List<Cell> cells, int threads,
                         double seconds, double warmup, int trial, Map<String, Object> extra) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (KvStore store = peer.open(spec)) {
            long t0 = System.nanoTime();
            byte[][] keys = Ycsb.load(store, records, valueSize, 42, f -> Fork.progress(
                    String.format(Locale.ROOT, "%s loading %.0f%%", peer.name(), f * 100)));
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            Fork.progress(String.format(Locale.ROOT, "%s loaded %,d records in %.1f s; warming up %.0f s",
                    peer.name(), records, loadSeconds, warmup));
            if (warmup > 0) {
                Ycsb.run(store, keys, Ycsb.Mix.A, KeyChooser.uniform(records), "uniform", valueSize, threads,
                        warmup, 7);
            }
            for (Cell cell : cells) {
                KeyChooser chooser = chooser(cell.distribution(), records);
                Fork.progress(String.format(Locale.ROOT, "%s %s %s for %.0f s", peer.name(), cell.mix(),
                        cell.distribution(), seconds));
                Ycsb.Result r = Ycsb.run(store, keys, cell.mix(), chooser, cell.distribution(), valueSize, threads,
                        seconds, trial * 1000L);
                Row row = new Row().put("store", peer.name());
                extra.forEach(row::put);
                row.put("workload", cell.mix())
                        .put("distribution", cell.distribution())
                        .put("value_size", valueSize)
                        .put("records", records)
                        .put("threads", threads)
                        .put("trial", trial)
                        .put("ops_per_second", r.opsPerSecond())
                        .put("p50_us", r.latencyNanos().getValueAtPercentile(50) / 1000.0)
                        .put("p99_us", r.latencyNanos().getValueAtPercentile(99) / 1000.0)
                        .put("p999_us", r.latencyNanos().getValueAtPercentile(99.9) / 1000.0)
                        .put("reads", r.reads())
                        .put("misses", r.misses())
                        .put("refused", r.refused())
                        .put("load_seconds", loadSeconds);
                rows.add(row);
            }
        }
        return rows;
    }

    /** Room for four times the loaded data, at least 256 MiB, so compaction never constrains a YCSB run. */
    static long capacityFor(int records, int valueSize) {
        long footprint = (long) records * (valueSize + 64);
        return Math.max(256L << 20, Long.highestOneBit(footprint * 4 - 1) << 1);
    }

    static KeyChooser chooser(String distribution, int records) {
        return switch (distribution) {
            case "uniform" -> KeyChooser.uniform(records);
            case "zipfian" -> KeyChooser.zipfian(records, 0.99);
            default -> throw new IllegalArgumentException("distribution must be uniform or zipfian: "
                    + distribution);
        };
    }

    static String summary(Row row) {
        return String.format(Locale.ROOT, "%-28s %s %-8s %5s B %2s thr %,14.0f ops/s  p99 %,8.1f us%s",
                row.get("store"), row.get("workload"), row.get("distribution"), row.get("value_size"),
                row.get("threads"), row.number("ops_per_second"), row.number("p99_us"),
                row.number("refused") > 0 ? "  refused " + row.get("refused") : "");
    }
}
