package io.nibble.bench.cli;

import io.nibble.bench.run.Fork;
import io.nibble.bench.run.Markdown;
import io.nibble.bench.run.Plot;
import io.nibble.bench.run.Results;
import io.nibble.bench.run.Row;
import io.nibble.bench.run.Stats;
import io.nibble.bench.run.WorkloadCommand;
import io.nibble.bench.store.KvStore;
import io.nibble.bench.store.Peer;
import io.nibble.bench.store.StoreSpec;
import io.nibble.bench.workload.Churn;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Postmark-like churn trace (the dissertation's Fig. 15-17): time to completion by threads and fill. */
@Command(name = "churn", mixinStandardHelpOptions = true,
        description = "Postmark-like trace: create a pool of 500-4096 B files filling --utilisations of "
                + "--capacity, run --transactions (10% create, 10% delete, 40% read, 40% append), delete all.")
public final class ChurnCommand extends WorkloadCommand {
    @Option(names = "--capacity", description = "Store capacity in bytes (default: ${DEFAULT-VALUE}).")
    long capacity = 512L << 20;

    @Option(names = "--utilisations", split = ",", description = "Initial live bytes as %% of capacity "
            + "(default: ${DEFAULT-VALUE}).")
    List<Integer> utilisations = List.of(50, 70, 90);

    @Option(names = "--threads", split = ",", description = "Thread counts (default: ${DEFAULT-VALUE}).")
    List<Integer> threads = List.of(1, 2);

    @Option(names = "--transactions", description = "Transactions per run, split over the threads "
            + "(default: ${DEFAULT-VALUE}).")
    long transactions = 2_000_000;

    @Override
    protected List<String> defaultStores() {
        return Peer.NAMES;
    }

    @Override
    protected List<String> parts() {
        List<String> parts = new ArrayList<>();
        for (int u : utilisations) {
            for (int t : threads) {
                parts.add(t + "t-" + u + "pct");
            }
        }
        return parts;
    }

    @Override
    protected String config() {
        return String.format(Locale.ROOT, "capacity %,d MiB, utilisations %s%%, threads %s, %,d transactions",
                capacity >> 20, utilisations, threads, transactions);
    }

    @Override
    protected String heapFlag(Peer peer) {
        return peer.onHeap() ? "-Xmx" + Math.max(1024, (capacity * 5) >> 20) + "m" : "-Xmx512m";
    }

    @Override
    protected List<String> workerFlags(Peer peer) {
        return List.of("-XX:MaxDirectMemorySize=" + capacity * 2);
    }

    @Override
    protected List<Row> measure(Peer peer, String part, int trial) throws Exception {
        int t = Integer.parseInt(part.substring(0, part.indexOf('t')));
        int u = Integer.parseInt(part.substring(part.indexOf('-') + 1, part.indexOf("pct")));
        long initial = capacity * u / 100;
        int mean = (Churn.MIN_FILE + Churn.MAX_FILE) / 2;
        StoreSpec spec = new StoreSpec(capacity, capacity / Churn.MIN_FILE, mean, Churn.MAX_FILE);
        Churn.Outcome o;
        try (KvStore store = peer.open(spec)) {
            o = new Churn(initial, transactions, t).run(store, 77L * trial,
                    text -> Fork.progress(peer.name() + " " + part + " " + text));
        }
        return List.of(new Row().put("store", peer.name())
                .put("threads", t)
                .put("utilisation_pct", u)
                .put("trial", trial)
                .put("total_seconds", o.totalSeconds())
                .put("create_seconds", o.createSeconds())
                .put("transaction_seconds", o.transactionSeconds())
                .put("cleanup_seconds", o.cleanupSeconds())
                .put("transactions_per_second", o.transactions() / o.transactionSeconds())
                .put("peak_utilisation_pct", 100.0 * o.peakLiveBytes() / capacity)
                .put("refused", o.refused())
                .put("verify_errors", o.verifyErrors()));
    }

    @Override
    protected String summary(Row row) {
        return String.format(Locale.ROOT, "%-16s %s threads, %s%% full: %.2f s total (%,.0f tx/s), peak %.0f%%, "
                        + "refused %s, verify errors %s", row.get("store"), row.get("threads"),
                row.get("utilisation_pct"), row.number("total_seconds"), row.number("transactions_per_second"),
                row.number("peak_utilisation_pct"), row.get("refused"), row.get("verify_errors"));
    }

    @Override
    protected String report(Results results, List<String> stores, Path out) throws Exception {
        List<String> header = new ArrayList<>(List.of("threads", "initial fill"));
        stores.forEach(s -> header.add(s + " s"));
        stores.forEach(s -> header.add(s + " refused/errors"));
        Markdown table = new Markdown(header);
        for (int u : utilisations) {
            for (int t : threads) {
                List<String> cells = new ArrayList<>(List.of(String.valueOf(t), u + "%"));
                List<String> problems = new ArrayList<>();
                for (String s : stores) {
                    Map<String, String> where = Map.of("store", s, "threads", String.valueOf(t),
                            "utilisation_pct", String.valueOf(u));
                    cells.add(results.stats("total_seconds", where).format("%.2f"));
                    List<Row> rows = results.select(where);
                    problems.add(rows.isEmpty() ? "-" : rows.stream().mapToLong(r -> (long) r.number("refused")).sum()
                            + " / " + rows.stream().mapToLong(r -> (long) r.number("verify_errors")).sum());
                }
                cells.addAll(problems);
                table.row(cells);
            }
        }
        StringBuilder md = new StringBuilder("### Time to completion, seconds (median [min-max]; lower is better)\n\n")
                .append(table).append('\n');
        for (int t : threads) {
            List<Double> x = utilisations.stream().map(Integer::doubleValue).toList();
            List<Plot.Series> series = new ArrayList<>();
            for (String s : stores) {
                List<Stats> byFill = utilisations.stream().map(u -> results.stats("total_seconds", Map.of("store", s,
                        "threads", String.valueOf(t), "utilisation_pct", String.valueOf(u)))).toList();
                series.add(Plot.Series.of(s, byFill, 1));
            }
            String png = "churn-" + t + "t.png";
            Plot.lines(out.resolve(png), String.format(Locale.ROOT, "Churn, %d thread(s), %,d transactions, %,d MiB "
                    + "capacity (median of %d)", t, transactions, capacity >> 20, trials), "initial fill (%)",
                    "seconds to completion", x, series);
            md.append("![").append(png).append("](").append(png).append(")\n\n");
        }
        return md.toString();
    }
}
