package io.nibble.demo;

import io.nibble.Nibble;
import io.nibble.NibbleStats;
import io.nibble.UpdateMode;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Exercises the embedded engine and prints what it did: fills a store, overwrites, deletes and refills with
 * larger values, then reports throughput, memory and compaction. Run through {@code ./nibble demo [capacity]}.
 */
public final class Demo {
    private Demo() { }

    public static void main(String[] args) {
        long capacity = args.length > 0 ? Sizes.parse(args[0]) : 256L << 20;
        for (UpdateMode mode : UpdateMode.values()) {
            run(capacity, mode);
        }
    }

    private static void run(long capacity, UpdateMode mode) {
        System.out.printf(Locale.ROOT, "%n== %s store, capacity %s ==%n", mode, Sizes.format(capacity));
        try (Nibble store = Nibble.builder().capacity(capacity).updateMode(mode).build()) {
            int valueSize = 1024;
            int keys = (int) (capacity * 6 / 10 / (valueSize + 48));
            byte[] value = new byte[valueSize];
            SplittableRandom random = new SplittableRandom(42);

            long t0 = System.nanoTime();
            for (int i = 0; i < keys; i++) {
                random.nextBytes(value);
                store.put(key(i), value);
            }
            report("insert", keys, t0, store.stats());

            t0 = System.nanoTime();
            long hits = 0;
            for (int i = 0; i < keys; i++) {
                hits += store.get(key(random.nextInt(keys))) != null ? 1 : 0;
            }
            report("get (" + hits + " hits)", keys, t0, store.stats());

            t0 = System.nanoTime();
            for (int i = 0; i < keys; i++) {
                random.nextBytes(value);
                store.put(key(random.nextInt(keys)), value);
            }
            report("overwrite", keys, t0, store.stats());

            t0 = System.nanoTime();
            int deleted = 0;
            for (int i = 0; i < keys; i++) {
                if (random.nextInt(10) != 0 && store.delete(key(i))) {
                    deleted++;
                }
            }
            report("delete 90%", deleted, t0, store.stats());

            byte[] larger = new byte[valueSize * 13 / 10];
            t0 = System.nanoTime();
            int refill = deleted * 3 / 4;
            for (int i = 0; i < refill; i++) {
                random.nextBytes(larger);
                store.put(key(keys + i), larger);
            }
            report("refill 1.3 KiB", refill, t0, store.stats());
            System.out.println("invariants: " + store.verify());
        }
    }

    private static byte[] key(int i) {
        return ("key:" + i).getBytes(StandardCharsets.US_ASCII);
    }

    private static void report(String phase, long ops, long startNanos, NibbleStats s) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        System.out.printf(Locale.ROOT,
                "%-20s %9d ops %8.2f Mops/s | keys %9d live %9s used %9s resident %9s (%.2fx live) compacted %d%n",
                phase, ops, ops / seconds / 1e6, s.keys(), Sizes.format(s.liveBytes()), Sizes.format(s.usedBytes()),
                Sizes.format(s.residentBytes()), s.liveBytes() == 0 ? 0.0 : (double) s.residentBytes() / s.liveBytes(),
                s.compactedSegments());
    }
}
