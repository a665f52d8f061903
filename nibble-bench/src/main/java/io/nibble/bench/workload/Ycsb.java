package io.nibble.bench.workload;

import io.nibble.bench.store.KvStore;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The YCSB core workloads over the byte[] API: load {@code records} keys, then run a read/update mix for a fixed
 * time on {@code threads} threads. Keys and values are generated before timing starts and reused, so the
 * harness allocates nothing per operation beyond what the store itself does.
 */
public final class Ycsb {
    /** The mixes: A 50/50, B 95/5, C read only, U update only. */
    public enum Mix {
        A(0.50), B(0.95), C(1.0), U(0.0);

        final double readFraction;

        Mix(double readFraction) {
            this.readFraction = readFraction;
        }
    }

    /** One run's outcome. */
    public record Result(String store, Mix mix, String distribution, int valueSize, int threads, long operations,
                         double seconds, long reads, long misses, long refused, Histogram latencyNanos) {
        public double opsPerSecond() {
            return operations / seconds;
        }
    }

    private Ycsb() { }

    public static byte[] key(long i) {
        return ByteBuffer.allocate(12).putInt(0x75736572).putLong(Keys.mix(i)).array(); // "user" + hashed index
    }

    /** Loads {@code records} keys with values of {@code valueSize} bytes. */
    public static byte[][] load(KvStore store, int records, int valueSize, long seed) {
        return load(store, records, valueSize, seed, fraction -> { });
    }

    /**
     * Loads {@code records} keys with values of {@code valueSize} bytes, reporting the fraction done now and
     * then.
     *
     * @throws IllegalStateException when the store refuses a record: a run needs every record present
     */
    public static byte[][] load(KvStore store, int records, int valueSize, long seed,
                                java.util.function.DoubleConsumer progress) {
        byte[][] keys = new byte[records][];
        SplittableRandom random = new SplittableRandom(seed);
        byte[] value = new byte[valueSize];
        for (int i = 0; i < records; i++) {
            keys[i] = key(i);
            random.nextBytes(value);
            if (!store.put(keys[i], value.clone())) {
                throw new IllegalStateException(store.name() + " is full after " + i + " of " + records
                        + " records of " + valueSize + " B");
            }
            if ((i & 0xFFFF) == 0xFFFF) {
                progress.accept((double) i / records);
            }
        }
        return keys;
    }

    public static Result run(KvStore store, byte[][] keys, Mix mix, KeyChooser chooser, String distribution,
                             int valueSize, int threads, double seconds, long seed) throws InterruptedException {
        long[] ops = new long[threads];
        long[] reads = new long[threads];
        long[] misses = new long[threads];
        long[] refused = new long[threads];
        Histogram[] latencies = new Histogram[threads];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        long durationNanos = (long) (seconds * 1e9);
        for (int t = 0; t < threads; t++) {
            final int id = t;
            latencies[t] = new Histogram(3_600_000_000_000L, 2);
            ts[t] = Thread.ofPlatform().name("ycsb-" + t).start(() -> {
                SplittableRandom random = new SplittableRandom(seed + id);
                byte[][] values = new byte[16][valueSize];
                for (byte[] v : values) {
                    random.nextBytes(v);
                }
                try {
                    start.await();
                    long end = System.nanoTime() + durationNanos;
                    long n = 0;
                    long r = 0;
                    long miss = 0;
                    long full = 0;
                    for (long now = System.nanoTime(); now < end; n++) {
                        byte[] key = keys[(int) chooser.next(random)];
                        if (random.nextDouble() < mix.readFraction) {
                            r++;
                            if (store.get(key) == null) {
                                miss++;
                            }
                        } else if (!store.put(key, values[(int) (n & 15)])) {
                            full++;
                        }
                        long after = System.nanoTime();
                        latencies[id].recordValue(Math.max(0, after - now));
                        now = after;
                    }
                    ops[id] = n;
                    reads[id] = r;
                    misses[id] = miss;
                    refused[id] = full;
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        long begin = System.nanoTime();
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        double elapsed = (System.nanoTime() - begin) / 1e9;
        if (failure.get() != null) {
            throw new IllegalStateException(store.name() + " failed during the run", failure.get());
        }
        Histogram all = new Histogram(3_600_000_000_000L, 2);
        long total = 0;
        long totalReads = 0;
        long totalMisses = 0;
        long totalRefused = 0;
        for (int t = 0; t < threads; t++) {
            all.add(latencies[t]);
            total += ops[t];
            totalReads += reads[t];
            totalMisses += misses[t];
            totalRefused += refused[t];
        }
        return new Result(store.name(), mix, distribution, valueSize, threads, total, elapsed, totalReads,
                totalMisses, totalRefused, all);
    }
}
