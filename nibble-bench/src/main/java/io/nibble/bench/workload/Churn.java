package io.nibble.bench.workload;

import io.nibble.bench.store.KvStore;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A Postmark-like trace (the dissertation's Fig. 15-17): a pool of "files" of 500-4096 bytes, then transactions
 * of 10% creates, 10% deletes, 40% whole-file reads and 40% appends (read, grow, write back), then a clean-up
 * that deletes every file. Each thread owns a disjoint set of files, so the trace needs no coordination of its
 * own and the store sees only its own contention. Every read checks the file's identity and length.
 */
public final class Churn {
    public static final int MIN_FILE = 500;
    public static final int MAX_FILE = 4096;

    /** Times of the three phases and what went wrong, summed over threads. */
    public record Outcome(double createSeconds, double transactionSeconds, double cleanupSeconds, long transactions,
                          long refused, long verifyErrors, long peakLiveBytes) {
        public double totalSeconds() {
            return createSeconds + transactionSeconds + cleanupSeconds;
        }
    }

    private final long initialBytes;
    private final long transactions;
    private final int threads;

    public Churn(long initialBytes, long transactions, int threads) {
        this.initialBytes = initialBytes;
        this.transactions = transactions;
        this.threads = threads;
    }

    public Outcome run(KvStore store, long seed, Consumer<String> progress) throws InterruptedException {
        Worker[] workers = new Worker[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Worker(store, t, new SplittableRandom(seed + t), initialBytes / threads);
        }
        AtomicLong done = new AtomicLong();
        double create = phase(workers, Worker::create);
        progress.accept("created the pool; transactions");
        double run = phase(workers, w -> w.transact(transactions / threads, done));
        progress.accept("transactions done; clean-up");
        double cleanup = phase(workers, Worker::cleanup);
        long refused = 0;
        long errors = 0;
        long peak = 0;
        for (Worker w : workers) {
            refused += w.refused;
            errors += w.errors;
            peak += w.peakBytes;
        }
        return new Outcome(create, run, cleanup, done.get(), refused, errors, peak);
    }

    private double phase(Worker[] workers, Consumer<Worker> body) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] ts = new Thread[workers.length];
        for (int t = 0; t < workers.length; t++) {
            Worker w = workers[t];
            ts[t] = Thread.ofPlatform().name("churn-" + t).start(() -> {
                try {
                    start.await();
                    body.accept(w);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("churn worker failed", failure.get());
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** One thread's files: ids and sizes in dense arrays; a deleted file is swapped out of the live prefix. */
    private static final class Worker {
        private final KvStore store;
        private final int space;
        private final SplittableRandom random;
        private final long initialBytes;
        private long[] ids = new long[1024];
        private int[] sizes = new int[1024];
        private int count;
        private long nextId;
        private long liveBytes;
        private long peakBytes;
        private long refused;
        private long errors;

        Worker(KvStore store, int space, SplittableRandom random, long initialBytes) {
            this.store = store;
            this.space = space;
            this.random = random;
            this.initialBytes = initialBytes;
        }

        void create() {
            while (liveBytes < initialBytes) {
                if (!createOne()) {
                    throw new IllegalStateException(store.name() + " is full while creating the initial pool at "
                            + liveBytes + " of " + initialBytes + " bytes");
                }
            }
        }

        private boolean createOne() {
            long id = nextId++;
            int size = random.nextInt(MIN_FILE, MAX_FILE + 1);
            if (!store.put(Stamp.key(space, id), Stamp.value(id, size))) {
                refused++;
                return false;
            }
            if (count == ids.length) {
                ids = java.util.Arrays.copyOf(ids, count * 2);
                sizes = java.util.Arrays.copyOf(sizes, count * 2);
            }
            ids[count] = id;
            sizes[count++] = size;
            liveBytes += size;
            peakBytes = Math.max(peakBytes, liveBytes);
            return true;
        }

        void transact(long n, AtomicLong done) {
            for (long i = 0; i < n; i++) {
                int op = random.nextInt(10);
                if (op == 0 || count == 0) {
                    createOne();
                } else if (op == 1) {
                    deleteAt(random.nextInt(count));
                } else if (op < 6) {
                    int at = random.nextInt(count);
                    if (!Stamp.check(store.get(Stamp.key(space, ids[at])), ids[at], sizes[at])) {
                        errors++;
                    }
                } else {
                    append(random.nextInt(count));
                }
                if ((i & 1023) == 1023) {
                    done.addAndGet(1024);
                }
            }
            done.addAndGet(n & 1023);
        }

        /** Postmark's append: read the file and write it back longer; a full file starts over at a random size. */
        private void append(int at) {
            long id = ids[at];
            byte[] old = store.get(Stamp.key(space, id));
            if (!Stamp.check(old, id, sizes[at])) {
                errors++;
            }
            int size = sizes[at] >= MAX_FILE ? random.nextInt(MIN_FILE, MAX_FILE + 1)
                    : Math.min(MAX_FILE, sizes[at] + random.nextInt(64, 513));
            if (store.put(Stamp.key(space, id), Stamp.value(id, size))) {
                liveBytes += size - sizes[at];
                peakBytes = Math.max(peakBytes, liveBytes);
                sizes[at] = size;
            } else {
                refused++;
            }
        }

        private void deleteAt(int at) {
            if (!store.delete(Stamp.key(space, ids[at]))) {
                errors++;
            }
            liveBytes -= sizes[at];
            count--;
            ids[at] = ids[count];
            sizes[at] = sizes[count];
        }

        void cleanup() {
            while (count > 0) {
                deleteAt(count - 1);
            }
        }
    }
}
