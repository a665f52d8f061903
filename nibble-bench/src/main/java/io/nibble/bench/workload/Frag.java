package io.nibble.bench.workload;

import io.nibble.bench.store.KvStore;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The fragmentation benchmark (after RAMCloud, the dissertation's Fig. 14): insert objects of sizes P until
 * {@code targetBytes} are live, delete 90% of them at random, then insert objects of sizes Q until the target is
 * live again or an insert is refused. Every surviving object is read back and checked at the end.
 */
public final class Frag {
    /** What a run left behind; live bytes count keys and values, the data a user stored. */
    public record Outcome(long liveBytes, long liveObjects, long inserted, long refused, long verifyErrors,
                          double fillSeconds, double deleteSeconds, double refillSeconds) { }

    private static final int KEY_BYTES = 12;

    private final SizeDistribution first;
    private final SizeDistribution second;
    private final long targetBytes;
    /** Size of every object ever inserted, by id; -1 once deleted. */
    private final int[] sizes;
    private int next;
    private long live;

    /** Sizes every array up front, so the harness allocates nothing that grows during the run. */
    public Frag(SizeDistribution first, SizeDistribution second, long targetBytes) {
        this.first = first;
        this.second = second;
        this.targetBytes = targetBytes;
        long most = targetBytes / (first.min() + KEY_BYTES) + targetBytes / (second.min() + KEY_BYTES) + 2;
        if (most > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many objects for " + targetBytes + " bytes of " + first
                    + " then " + second);
        }
        this.sizes = new int[(int) most];
    }

    /** Runs the benchmark once; an instance holds one run's state. */
    public Outcome run(KvStore store, long seed, Consumer<String> progress) {
        if (next != 0) {
            throw new IllegalStateException("a Frag instance runs once");
        }
        SplittableRandom random = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        boolean refused = !insertUntilTarget(store, first, random, "fill", progress);
        int firstCount = next;
        long t1 = System.nanoTime();
        // Delete 90% at random: a partial Fisher-Yates shuffle of the ids picks them without repeats.
        int[] order = new int[firstCount];
        for (int i = 0; i < firstCount; i++) {
            order[i] = i;
        }
        int deletions = (int) (firstCount * 0.9);
        for (int i = 0; i < deletions; i++) {
            int j = i + random.nextInt(firstCount - i);
            int id = order[j];
            order[j] = order[i];
            order[i] = id;
            if (!store.delete(Stamp.key(0, id))) {
                throw new IllegalStateException(store.name() + " lost object " + id + " before its deletion");
            }
            live -= sizes[id] + KEY_BYTES;
            sizes[id] = -1;
        }
        long t2 = System.nanoTime();
        progress.accept("deleted 90%, refilling");
        if (!refused) {
            refused = !insertUntilTarget(store, second, random, "refill", progress);
        }
        long t3 = System.nanoTime();
        long errors = 0;
        long objects = 0;
        for (int id = 0; id < next; id++) {
            byte[] value = store.get(Stamp.key(0, id));
            if (sizes[id] < 0) {
                errors += value == null ? 0 : 1;
            } else {
                objects++;
                errors += Stamp.check(value, id, sizes[id]) ? 0 : 1;
            }
        }
        return new Outcome(live, objects, next, refused ? 1 : 0, errors, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                (t3 - t2) / 1e9);
    }

    /** Inserts objects of the given sizes until the target is live; false when the store refused one. */
    private boolean insertUntilTarget(KvStore store, SizeDistribution distribution, SplittableRandom random,
                                      String phase, Consumer<String> progress) {
        while (live < targetBytes) {
            int size = distribution.next(random);
            if (!store.put(Stamp.key(0, next), Stamp.value(next, size))) {
                return false;
            }
            sizes[next++] = size;
            live += size + KEY_BYTES;
            if ((next & 0x3FFFF) == 0) {
                progress.accept(String.format(java.util.Locale.ROOT, "%s %.0f%%", phase, 100.0 * live / targetBytes));
            }
        }
        return true;
    }
}
