package io.nibble.bench.cli;

import io.nibble.bench.run.Fork;
import io.nibble.bench.run.Machine;
import io.nibble.bench.run.Markdown;
import io.nibble.bench.run.Plot;
import io.nibble.bench.run.Results;
import io.nibble.bench.run.Row;
import io.nibble.bench.run.Stats;
import io.nibble.bench.run.WorkloadCommand;
import io.nibble.bench.store.KvStore;
import io.nibble.bench.store.Peer;
import io.nibble.bench.store.StoreSpec;
import io.nibble.bench.workload.Frag;
import io.nibble.bench.workload.SizeDistribution;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fragmentation (the dissertation's Fig. 14, after RAMCloud): resident memory of the whole process over live
 * bytes after the object sizes change under a store.
 */
@Command(name = "frag", mixinStandardHelpOptions = true,
        description = "Fill to --live bytes with sizes P, delete 90% at random, refill with sizes Q until --live "
                + "bytes or a refused insert; report the process's RSS (from /proc) over live bytes.")
public final class FragCommand extends WorkloadCommand {
    @Option(names = "--pairs", split = ",", description = "P/Q size pairs, each fixed:N or uniform:MIN-MAX "
            + "(default: ${DEFAULT-VALUE}).")
    List<String> pairs = List.of(
            "fixed:1024/fixed:1024",
            "fixed:1024/fixed:2048",
            "fixed:100/fixed:130",
            "uniform:100-150/uniform:200-250",
            "uniform:100-200/uniform:1000-2000",
            "uniform:1000-2000/uniform:1500-2500",
            "uniform:5000-15000/uniform:50-150");

    @Option(names = "--live", description = "Live bytes (keys and values) to reach in both phases "
            + "(default: ${DEFAULT-VALUE}).")
    long liveBytes = 1L << 30;

    @Option(names = "--capacity-factor", description = "Bounded stores get this many times --live "
            + "(default: ${DEFAULT-VALUE}).")
    double capacityFactor = 1.5;

    @Override
    protected List<String> defaultStores() {
        return Peer.NAMES;
    }

    @Override
    protected List<String> parts() {
        pairs.forEach(FragCommand::parse);
        return pairs;
    }

    @Override
    protected String config() {
        return String.format(Locale.ROOT, "live %,d MiB, capacity factor %.2f for bounded stores, pairs %s",
                liveBytes >> 20, capacityFactor, pairs);
    }

    private static SizeDistribution[] parse(String pair) {
        String[] pq = pair.split("/");
        if (pq.length != 2) {
            throw new IllegalArgumentException("a pair is P/Q, got '" + pair + "'");
        }
        return new SizeDistribution[] {SizeDistribution.parse(pq[0]), SizeDistribution.parse(pq[1])};
    }

    /** The harness's own arrays: a size per object ever inserted plus the deletion order. */
    private long harnessBytes() {
        long most = 0;
        for (String pair : pairs) {
            SizeDistribution[] pq = parse(pair);
            most = Math.max(most, liveBytes / (pq[0].min() + 12) * 2 + liveBytes / (pq[1].min() + 12));
        }
        return most * 4;
    }

    /**
     * Off-heap stores get a small heap, committed and touched at start so it is part of the baseline; on-heap
     * stores get room for their data and grow into it, which is their footprint.
     */
    @Override
    protected String heapFlag(Peer peer) {
        long heapMiB = (harnessBytes() >> 20) + 96;
        return peer.onHeap() ? "-Xmx" + (heapMiB + (long) (liveBytes * 6 / 1048576.0)) + "m" : "-Xmx" + heapMiB + "m";
    }

    @Override
    protected List<String> workerFlags(Peer peer) {
        List<String> flags = new ArrayList<>();
        if (!peer.onHeap()) {
            flags.add("-Xms" + ((harnessBytes() >> 20) + 96) + "m");
            flags.add("-XX:+AlwaysPreTouch");
        }
        // MapDB grows in direct buffers; let it reach what the bounded stores get before it counts as full.
        flags.add("-XX:MaxDirectMemorySize=" + (long) (liveBytes * capacityFactor * 2));
        return flags;
    }

    @Override
    protected List<Row> measure(Peer peer, String part, int trial) throws Exception {
        SizeDistribution[] pq = parse(part);
        Frag frag = new Frag(pq[0], pq[1], liveBytes);
        System.gc();
        long baseline = Machine.residentBytes();
        long expectedKeys = (long) (liveBytes / Math.min(pq[0].mean(), pq[1].mean()) * 1.1);
        StoreSpec spec = new StoreSpec((long) (liveBytes * capacityFactor), expectedKeys, (int) pq[0].mean(),
                Math.max(pq[0].max(), pq[1].max()));
        Frag.Outcome o;
        long rss;
        try (KvStore store = peer.open(spec)) {
            o = frag.run(store, 1000L + trial, text -> Fork.progress(peer.name() + " " + part + " " + text));
            rss = settledResidentBytes();
        }
        return List.of(new Row().put("store", peer.name())
                .put("pair", part)
                .put("trial", trial)
                .put("live_bytes", o.liveBytes())
                .put("live_objects", o.liveObjects())
                .put("rss_bytes", rss)
                .put("baseline_rss_bytes", baseline)
                .put("rss_ratio", (double) rss / o.liveBytes())
                .put("net_ratio", (double) (rss - baseline) / o.liveBytes())
                .put("refused", o.refused())
                .put("verify_errors", o.verifyErrors())
                .put("reached_target", o.liveBytes() >= liveBytes)
                .put("fill_seconds", o.fillSeconds())
                .put("delete_seconds", o.deleteSeconds())
                .put("refill_seconds", o.refillSeconds()));
    }

    /**
     * RSS once it stops moving: compaction, allocators and the GC give memory back in the background after the
     * last insert, so every store gets the same chance to settle (RSS within 0.5% over a second, at most 20 s).
     */
    private static long settledResidentBytes() throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        System.gc();
        long last = Machine.residentBytes();
        while (System.nanoTime() < deadline) {
            Thread.sleep(1000);
            System.gc();
            long now = Machine.residentBytes();
            if (Math.abs(now - last) <= last / 200) {
                return now;
            }
            last = now;
        }
        return last;
    }

    @Override
    protected String summary(Row row) {
        return String.format(Locale.ROOT, "%-16s %-36s RSS/live %.3f  (RSS-baseline)/live %.3f  refused %s  "
                        + "verify errors %s  %.1f+%.1f+%.1f s", row.get("store"), row.get("pair"),
                row.number("rss_ratio"), row.number("net_ratio"), row.get("refused"), row.get("verify_errors"),
                row.number("fill_seconds"), row.number("delete_seconds"), row.number("refill_seconds"));
    }

    @Override
    protected String report(Results results, List<String> stores, Path out) throws Exception {
        List<String> header = new ArrayList<>(List.of("P / Q"));
        for (String s : stores) {
            header.add(s + " RSS/live");
        }
        Markdown ratios = new Markdown(header);
        Markdown net = new Markdown(header.stream().map(h -> h.replace("RSS/live", "(RSS-base)/live")).toList());
        List<String> failuresHeader = new ArrayList<>(List.of("P / Q"));
        stores.forEach(s -> failuresHeader.add(s + " refused / errors / s"));
        Markdown outcomes = new Markdown(failuresHeader);
        List<List<Stats>> byStore = new ArrayList<>();
        stores.forEach(s -> byStore.add(new ArrayList<>()));
        for (String pair : pairs) {
            List<String> r = new ArrayList<>(List.of(pair));
            List<String> n = new ArrayList<>(List.of(pair));
            List<String> f = new ArrayList<>(List.of(pair));
            for (int i = 0; i < stores.size(); i++) {
                Map<String, String> where = Map.of("store", stores.get(i), "pair", pair);
                Stats rss = results.stats("rss_ratio", where);
                r.add(rss.format("%.3f"));
                Stats netStats = results.stats("net_ratio", where);
                n.add(netStats.format("%.3f"));
                byStore.get(i).add(netStats);
                List<Row> rows = results.select(where);
                long refused = rows.stream().mapToLong(x -> (long) x.number("refused")).sum();
                long verify = rows.stream().mapToLong(x -> (long) x.number("verify_errors")).sum();
                Stats seconds = Stats.of(rows.stream().map(x -> x.number("fill_seconds") + x.number("delete_seconds")
                        + x.number("refill_seconds")).toList());
                f.add(rows.isEmpty() ? "-" : refused + " / " + verify + " / " + seconds.format("%.1f"));
            }
            ratios.row(r);
            net.row(n);
            outcomes.row(f);
        }
        List<Plot.Series> series = new ArrayList<>();
        for (int i = 0; i < stores.size(); i++) {
            series.add(Plot.Series.of(stores.get(i), byStore.get(i), 1));
        }
        Plot.bars(out.resolve("frag.png"), String.format(Locale.ROOT,
                        "Fragmentation: (RSS - baseline) / live bytes, %,d MiB live (median of %d)", liveBytes >> 20,
                        trials), "P / Q", "memory / live bytes", pairs, series);
        return "### Process RSS / live bytes (median [min-max])\n\n" + ratios
                + "\n### (RSS - RSS before the store opened) / live bytes\n\n" + net
                + "\n![frag.png](frag.png)\n\n### Refused inserts / read-back errors / seconds (sums over trials; "
                + "median time)\n\n" + outcomes;
    }
}
