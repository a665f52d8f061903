package io.nibble.bench.run;

import io.nibble.bench.store.Peer;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * A benchmark that runs every store in its own JVM, in alternation: for each trial, for each part of the
 * workload (a value size, a fill level, a (P, Q) pair...), each store in turn. The same command, given the hidden
 * {@code --worker} option, is the worker: it measures one store, one part, one trial and prints rows.
 */
public abstract class WorkloadCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    @Option(names = "--stores", split = ",", description = "Stores to compare (default: the workload's own list).")
    protected List<String> stores;

    @Option(names = "--trials", description = "Trials per store; tables show the median and [min-max] "
            + "(default: ${DEFAULT-VALUE}).")
    protected int trials = 3;

    @Option(names = "--out", description = "Output folder (default: bench-out/<workload>).")
    protected Path out;

    @Option(names = "--fork-timeout", description = "Seconds one worker JVM may run (default: ${DEFAULT-VALUE}).")
    protected long forkTimeoutSeconds = 1800;

    @Option(names = "--worker", hidden = true)
    protected String worker;

    @Option(names = "--trial", hidden = true)
    protected int trial;

    @Option(names = "--part", hidden = true)
    protected String part;

    /** The default store list. */
    protected abstract List<String> defaultStores();

    /** The parts every store runs separately, each in a fresh JVM. */
    protected abstract List<String> parts();

    /** The configuration, printed with every result. */
    protected abstract String config();

    /** Worker side: measures {@code peer} on one part of the workload. */
    protected abstract List<Row> measure(Peer peer, String part, int trial) throws Exception;

    /** Writes the markdown tables and PNG plots of a finished run to {@code out}; returns the markdown. */
    protected abstract String report(Results results, List<String> stores, Path out) throws Exception;

    /** Heap for a worker: on-heap stores need room for their data; off-heap ones keep the heap small. */
    protected String heapFlag(Peer peer) {
        return peer.onHeap() ? "-Xmx6g" : "-Xmx1g";
    }

    /** Extra JVM flags for a worker of this workload. */
    protected List<String> workerFlags(Peer peer) {
        return List.of();
    }

    protected final List<String> storeList() {
        return stores != null ? stores : defaultStores();
    }

    @Override
    public final Integer call() throws Exception {
        if (worker != null) {
            Peer peer = Peer.byName(worker);
            for (Row row : measure(peer, part, trial)) {
                System.out.println(row.toLine());
            }
            System.out.flush();
            return 0;
        }
        return orchestrate();
    }

    private int orchestrate() throws Exception {
        String name = spec.name();
        Path folder = out != null ? out : Path.of("bench-out", name);
        List<String> storeNames = storeList();
        storeNames.forEach(Peer::byName); // unknown names fail before anything runs
        String header = "command: nibble bench " + String.join(" ", spec.root().commandLine().getParseResult()
                .originalArgs()) + "\nmachine: " + Machine.describe() + "\nconfig: " + config()
                + String.format(Locale.ROOT, "; %d trials, stores run in alternation, one JVM each", trials);
        System.out.println(header);
        List<String> parts = parts();
        Results results = new Results();
        int total = trials * parts.size() * storeNames.size();
        int done = 0;
        long started = System.nanoTime();
        for (int t = 1; t <= trials; t++) {
            for (String p : parts) {
                for (String store : storeNames) {
                    done++;
                    if (results.failed(store)) {
                        continue;
                    }
                    double elapsed = (System.nanoTime() - started) / 1e9;
                    String eta = done > 1 ? String.format(Locale.ROOT, ", about %.0f s left",
                            elapsed / (done - 1) * (total - done + 1)) : "";
                    System.out.printf(Locale.ROOT, "[%d/%d] %s trial %d %s: %s (%.0f s elapsed%s)%n", done, total,
                            name, t, p, store, elapsed, eta);
                    Fork.Result r = fork(Peer.byName(store), p, t);
                    if (r.ok()) {
                        results.add(r.rows());
                        r.rows().forEach(row -> System.out.println("      " + summary(row)));
                    } else {
                        results.fail(new Results.Failure(store, p, t, r.reason()));
                        System.out.println("      FAILED: " + store + " could not run: " + r.reason());
                        r.tail().stream().skip(Math.max(0, r.tail().size() - 8))
                                .forEach(line -> System.out.println("      | " + line));
                    }
                }
            }
        }
        Files.createDirectories(folder);
        Files.writeString(folder.resolve(name + ".csv"), results.csv());
        StringBuilder md = new StringBuilder("```\n").append(header).append("\n```\n\n");
        md.append(report(results, storeNames, folder));
        if (!results.failures().isEmpty()) {
            md.append("\nStores that could not run:\n\n");
            Markdown failed = new Markdown(List.of("store", "part", "trial", "reason"));
            for (Results.Failure f : results.failures()) {
                failed.row(List.of(f.store(), f.part(), String.valueOf(f.trial()), f.reason().replace("|", "\\|")));
            }
            md.append(failed);
        }
        Files.writeString(folder.resolve(name + ".md"), md);
        System.out.println();
        System.out.println(md);
        try (var files = Files.list(folder)) {
            System.out.println("written: " + files.map(Path::toString).sorted().toList());
        }
        return 0;
    }

    /** A short line for the console as each result arrives. */
    protected String summary(Row row) {
        return row.values().toString();
    }

    private Fork.Result fork(Peer peer, String p, int t) throws Exception {
        List<String> flags = new ArrayList<>(Peer.COMMON_FLAGS);
        flags.add(heapFlag(peer));
        flags.addAll(peer.jvmFlags());
        flags.addAll(workerFlags(peer));
        List<String> args = new ArrayList<>(spec.root().commandLine().getParseResult().originalArgs());
        args.addAll(List.of("--worker", peer.name(), "--trial", String.valueOf(t), "--part", p));
        return Fork.run(io.nibble.bench.BenchCli.class.getName(), flags, args, forkTimeoutSeconds,
                text -> System.out.println("      . " + text));
    }
}
