package io.nibble.bench;

import io.nibble.UpdateMode;
import io.nibble.bench.store.ChmKvStore;
import io.nibble.bench.store.KvStore;
import io.nibble.bench.store.NibbleKvStore;
import io.nibble.bench.store.RespKvStore;
import io.nibble.bench.workload.KeyChooser;
import io.nibble.bench.workload.Ycsb;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./nibble bench <workload> [options]}: benchmarks run side by side, in one process, in alternation. */
@Command(name = "nibble bench", mixinStandardHelpOptions = true, subcommands = BenchCli.YcsbCommand.class,
        description = "Benchmarks Nibble against the stores a user would pick instead.")
public final class BenchCli {

    public static void main(String[] args) {
        int code = new CommandLine(new BenchCli()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** YCSB A, B, C and update-only, uniform and Zipfian, through the byte[] API. */
    @Command(name = "ycsb", mixinStandardHelpOptions = true,
            description = "YCSB core workloads; every (workload, distribution) runs each store in turn, per trial.")
    static final class YcsbCommand implements Callable<Integer> {
        @Option(names = "--stores", split = ",", description = "nibble-inplace, nibble-append, chm, "
                + "resp:HOST:PORT (default: ${DEFAULT-VALUE})")
        List<String> stores = List.of("nibble-inplace", "nibble-append", "chm");

        @Option(names = "--workloads", split = ",", description = "A, B, C, U (default: ${DEFAULT-VALUE})")
        List<Ycsb.Mix> workloads = List.of(Ycsb.Mix.A, Ycsb.Mix.B, Ycsb.Mix.C);

        @Option(names = "--distributions", split = ",", description = "uniform, zipfian (default: ${DEFAULT-VALUE})")
        List<String> distributions = List.of("uniform", "zipfian");

        @Option(names = "--value-size", description = "Value bytes (default: ${DEFAULT-VALUE}).")
        int valueSize = 1024;

        @Option(names = "--records", description = "Keys loaded (default: ${DEFAULT-VALUE}).")
        int records = 100_000;

        @Option(names = "--threads", description = "Client threads (default: ${DEFAULT-VALUE}).")
        int threads = 2;

        @Option(names = "--seconds", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
        double seconds = 5;

        @Option(names = "--warmup", description = "Unmeasured seconds per store before trials (default: ${DEFAULT-VALUE}).")
        double warmup = 3;

        @Option(names = "--trials", description = "Trials; results are medians (default: ${DEFAULT-VALUE}).")
        int trials = 3;

        @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE}).")
        Path out = Path.of("bench-out", "ycsb");

        @Override
        public Integer call() throws Exception {
            System.out.println("command: nibble bench " + String.join(" ", rawArgs()));
            System.out.println("machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB max heap, JDK " + Runtime.version() + ", "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            System.out.printf(Locale.ROOT, "config: %d records x %d B, %d threads, %.1f s x %d trials, stores %s%n",
                    records, valueSize, threads, seconds, trials, stores);
            long capacity = Math.max(256L << 20, Long.highestOneBit((long) records * (valueSize + 64) * 4 - 1) << 1);
            Map<String, KvStore> opened = new LinkedHashMap<>();
            Map<String, byte[][]> keys = new LinkedHashMap<>();
            try {
                for (String name : stores) {
                    KvStore store = open(name, capacity);
                    opened.put(name, store);
                    long t0 = System.nanoTime();
                    keys.put(name, Ycsb.load(store, records, valueSize, 42));
                    System.out.printf(Locale.ROOT, "loaded %-16s in %.1f s%n", name, (System.nanoTime() - t0) / 1e9);
                    Ycsb.run(store, keys.get(name), Ycsb.Mix.A, KeyChooser.uniform(records), "uniform", valueSize,
                            threads, warmup, 7);
                }
                List<Ycsb.Result> results = new ArrayList<>();
                int total = trials * workloads.size() * distributions.size() * stores.size();
                int done = 0;
                for (int trial = 1; trial <= trials; trial++) {
                    for (Ycsb.Mix mix : workloads) {
                        for (String distribution : distributions) {
                            KeyChooser chooser = distribution.equals("zipfian")
                                    ? KeyChooser.zipfian(records, 0.99) : KeyChooser.uniform(records);
                            for (String name : stores) {
                                Ycsb.Result r = Ycsb.run(opened.get(name), keys.get(name), mix, chooser, distribution,
                                        valueSize, threads, seconds, trial * 1000L);
                                results.add(r);
                                done++;
                                System.out.printf(Locale.ROOT, "[%d/%d] trial %d %s %-8s %-16s %,12.0f ops/s p99 %,d ns%n",
                                        done, total, trial, mix, distribution, name, r.opsPerSecond(),
                                        r.latencyNanos().getValueAtPercentile(99));
                            }
                        }
                    }
                }
                Files.createDirectories(out);
                Report.write(results, stores, out);
                System.out.println(Files.readString(out.resolve("ycsb.md")));
                System.out.println("results: " + out.resolve("ycsb.csv") + ", " + out.resolve("ycsb.md"));
            } finally {
                opened.values().forEach(KvStore::close);
            }
            return 0;
        }

        private static List<String> rawArgs() {
            List<String> args = new ArrayList<>();
            String command = System.getProperty("sun.java.command", "");
            String[] words = command.split(" ");
            for (int i = 1; i < words.length; i++) {
                args.add(words[i]);
            }
            return args;
        }

        private KvStore open(String name, long capacity) {
            return switch (name) {
                case "nibble-inplace" -> new NibbleKvStore(UpdateMode.IN_PLACE, capacity);
                case "nibble-append" -> new NibbleKvStore(UpdateMode.APPEND, capacity);
                case "chm" -> new ChmKvStore(records);
                default -> {
                    if (name.startsWith("resp:")) {
                        String[] parts = name.split(":");
                        yield new RespKvStore(parts[1], Integer.parseInt(parts[2]));
                    }
                    throw new CommandLine.ParameterException(new CommandLine(this), "unknown store '" + name
                            + "'; known: nibble-inplace, nibble-append, chm, resp:HOST:PORT");
                }
            };
        }
    }

    /** CSV of every run, and a markdown table of medians with the spread and the ratio to the first store. */
    static final class Report {
        private Report() { }

        static void write(List<Ycsb.Result> results, List<String> stores, Path out) throws IOException {
            StringBuilder csv = new StringBuilder("store,workload,distribution,value_size,threads,ops_per_second,"
                    + "p50_ns,p99_ns,reads,misses\n");
            for (Ycsb.Result r : results) {
                csv.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%d,%.1f,%d,%d,%d,%d%n", r.store(), r.mix(),
                        r.distribution(), r.valueSize(), r.threads(), r.opsPerSecond(),
                        r.latencyNanos().getValueAtPercentile(50), r.latencyNanos().getValueAtPercentile(99),
                        r.reads(), r.misses()));
            }
            Files.writeString(out.resolve("ycsb.csv"), csv);
            StringBuilder md = new StringBuilder("| workload | distribution |");
            for (String s : stores) {
                md.append(' ').append(s).append(" (ops/s, median [min-max]) |");
            }
            for (int i = 1; i < stores.size(); i++) {
                md.append(' ').append(stores.get(0)).append(" / ").append(stores.get(i)).append(" |");
            }
            md.append('\n').append("|---|---|").append("---|".repeat(2 * stores.size() - 1)).append('\n');
            Map<String, List<Ycsb.Result>> byCell = new LinkedHashMap<>();
            for (Ycsb.Result r : results) {
                byCell.computeIfAbsent(r.mix() + "|" + r.distribution(), k -> new ArrayList<>()).add(r);
            }
            for (var cell : byCell.entrySet()) {
                String[] parts = cell.getKey().split("\\|");
                md.append("| ").append(parts[0]).append(" | ").append(parts[1]).append(" |");
                double[] medians = new double[stores.size()];
                for (int i = 0; i < stores.size(); i++) {
                    String s = stores.get(i);
                    double[] values = cell.getValue().stream().filter(r -> r.store().equals(s))
                            .mapToDouble(Ycsb.Result::opsPerSecond).sorted().toArray();
                    medians[i] = values.length == 0 ? Double.NaN : values[values.length / 2];
                    md.append(String.format(Locale.ROOT, " %,.0f [%,.0f-%,.0f] |", medians[i],
                            values.length == 0 ? Double.NaN : values[0],
                            values.length == 0 ? Double.NaN : values[values.length - 1]));
                }
                for (int i = 1; i < stores.size(); i++) {
                    md.append(String.format(Locale.ROOT, " %.2f |", medians[0] / medians[i]));
                }
                md.append('\n');
            }
            Files.writeString(out.resolve("ycsb.md"), md);
        }
    }
}
