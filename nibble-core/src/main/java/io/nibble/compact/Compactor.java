package io.nibble.compact;

import io.nibble.alloc.BlockAllocator;
import io.nibble.epoch.EpochTable;
import io.nibble.index.HashIndex;
import io.nibble.log.Appender;
import io.nibble.log.LogMemory;
import io.nibble.log.NodeLog;
import io.nibble.log.RecordLayout;
import io.nibble.log.SegmentTable;
import io.nibble.memory.NativeMemory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;

/**
 * Compaction for one node: worker threads that pick sealed segments by cost-benefit, relocate their live records
 * into segments of their own, and free the victims once no pinned operation can read them.
 *
 * <p>Two triggers. <em>Pressure</em>: ordinary free blocks are below the low-water mark, or a writer is waiting
 * for space; any segment with at least a block of garbage may be cleaned, best score first. <em>Tidying</em>:
 * garbage exceeds a small share of the node's used memory while some segment is at most half live; only such
 * cheap segments are cleaned, so resident memory follows live data without paying the high write cost of cleaning
 * nearly full segments. Workers sleep otherwise, and back off while passes free little.
 *
 * <p>A sealed segment becomes a candidate only once every operation pinned when it was sealed has finished:
 * appends to it are then all published or abandoned, so a record absent from the index is really dead.
 */
public final class Compactor {
    private static final System.Logger LOG = System.getLogger("io.nibble.compact");

    /** What {@link RecordMover#move} did with one record. */
    public enum Outcome { MOVED, DEAD, NO_SPACE }

    /** Relocates one record if the index still references it, under its bucket lock. */
    public interface RecordMover {
        Outcome move(long address, long footprint, Appender out, int cpu);
    }

    /** Removes one record from the index if it has expired and the index still references it, under its bucket lock. */
    public interface RecordExpirer {
        /** What {@link #expireIfDue} answers for a record it removed. */
        long REMOVED = 0;

        /**
         * @return the record's expiry when it stays indexed and expires after {@code nowMillis}; {@link #REMOVED}
         *     when it had expired and is removed now; Long.MAX_VALUE when the index no longer references it
         */
        long expireIfDue(long address, long nowMillis, int cpu);
    }

    /** Most segments one idle pass sweeps for expired records. */
    static final int SWEEP_SEGMENTS = 4;
    /** A swept segment is swept again no sooner than this. */
    static final long SWEEP_INTERVAL_MILLIS = 1_000;
    /**
     * A swept segment is swept again once this share of its remaining expiring records is due: the share of expired
     * keys Redis's active expiry accepts leaving (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE), so each walk finds that
     * much to remove, however widely the expiries are spread.
     */
    static final double SWEEP_DUE_SHARE = 0.1;
    /** Most of one thread's time the sweep may take, however many segments are due (Redis allows 25%). */
    static final double SWEEP_SHARE = 0.1;

    /** Garbage share of used bytes above which tidying starts. */
    static final double TIDY_GARBAGE = 0.04;
    /** Most live share of a segment that tidying cleans. */
    static final double TIDY_MAX_UTILISATION = 0.5;
    /** Most live share of a segment that pressure cleaning takes; fuller ones free too little for the copy. */
    static final double PRESSURE_MAX_UTILISATION = 0.985;

    private final NodeLog log;
    private final LogMemory mem;
    private final SegmentTable segments;
    private final BlockAllocator allocator;
    private final EpochTable epochs;
    private final HashIndex index;
    private final RecordMover mover;
    private final RecordExpirer expirer;
    private final int threadCount;
    private volatile Thread[] workers = new Thread[0];
    private final long lowWaterBlocks;
    private final int maxBatchSegments;
    private final List<Integer> candidates = new ArrayList<>();
    private final AtomicInteger waiters = new AtomicInteger();
    private final AtomicLong fruitlessPasses = new AtomicLong();
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong compactedSegments = new AtomicLong();
    private final AtomicLong relocatedBytes = new AtomicLong();
    private final AtomicLong freedSegments = new AtomicLong();
    private final DutyCycle sweepPace = new DutyCycle(SWEEP_SHARE);
    /**
     * Blocks this node's compaction has given back. Passes judge their yield by it rather than by the allocator's
     * free count, which concurrent writers drain while a pass runs.
     */
    private final AtomicLong freedBlocks = new AtomicLong();
    private volatile boolean stopping;
    /** Passes running right now on this node's workers; their victims will free blocks soon. */
    private final AtomicInteger running = new AtomicInteger();
    /** Victims retired but not yet freed because the store stopped mid-wait; freed on the next start. */
    private final List<long[]> pendingFree = new ArrayList<>();

    public Compactor(NodeLog log, EpochTable epochs, HashIndex index, RecordMover mover, RecordExpirer expirer,
                     int threads) {
        this.log = log;
        this.mem = log.memory();
        this.segments = log.segments();
        this.allocator = log.allocator();
        this.epochs = epochs;
        this.index = index;
        this.mover = mover;
        this.expirer = expirer;
        long nodeBlocks = allocator.blockCount() - allocator.reserveBlocks();
        this.lowWaterBlocks = Math.max(2L * log.segmentBlocks() + log.headCount(), nodeBlocks / 20);
        this.maxBatchSegments = 8;
        this.threadCount = threads;
    }

    /** Starts the workers (again, after {@link #stop()}). */
    public synchronized void start() {
        stopping = false;
        Thread[] ts = new Thread[threadCount];
        for (int i = 0; i < threadCount; i++) {
            ts[i] = Thread.ofPlatform().daemon().name("nibble-compactor-" + log.node() + "-" + i)
                    .unstarted(this::run);
        }
        workers = ts;
        for (Thread t : ts) {
            t.start();
        }
    }

    /** Stops the workers and waits for them; they leave between two records. */
    public synchronized void stop() {
        stopping = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        for (Thread t : workers) {
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public long compactedSegments() {
        return compactedSegments.get();
    }

    public long relocatedBytes() {
        return relocatedBytes.get();
    }

    public long passes() {
        return passes.get();
    }

    public long freedSegments() {
        return freedSegments.get();
    }

    /**
     * Waits, unpinned, until ordinary allocations can take {@code blocks} blocks again.
     *
     * @return false when compaction has had its chance (two passes found nothing to free after the wait began),
     *     when the store is stopping, or at the deadline
     */
    public boolean awaitSpace(long blocks, long timeoutNanos) {
        long fruitlessAtStart = fruitlessPasses.get();
        long deadline = System.nanoTime() + timeoutNanos;
        waiters.incrementAndGet();
        try {
            for (long pause = 20_000; ; pause = Math.min(pause * 2, 1_000_000)) {
                if (allocator.availableBlocks() >= blocks) {
                    return true;
                }
                if (stopping || fruitlessPasses.get() - fruitlessAtStart >= 2 || System.nanoTime() > deadline) {
                    return false;
                }
                wakeWorkers();
                LockSupport.parkNanos(pause);
            }
        } finally {
            waiters.decrementAndGet();
        }
    }

    public void wakeWorkers() {
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }

    // ------------------------------------------------------------------ worker

    private void run() {
        Appender out = new Appender();
        int cpu = NativeMemory.currentCpu();
        long backoffNanos = 0;
        while (!stopping) {
            try {
                index.reclaim();
                freePending();
                int slot = epochs.pin(cpu);
                try {
                    index.helpResizes(64);
                } finally {
                    epochs.unpin(slot);
                }
                boolean pressure = waiters.get() > 0 || allocator.availableBlocks() < lowWaterBlocks;
                long freedAtStart = freedBlocks.get();
                boolean[] awaitingGrace = {false};
                int[] victims = plan(pressure, awaitingGrace);
                if (victims.length == 0) {
                    boolean sealedOut = pressure && waiters.get() > 0 && out.segment() >= 0;
                    if (sealedOut) {
                        log.seal(out);
                    }
                    if (pressure && waiters.get() > 0 && (log.sealIdle() | sealedOut)) {
                        continue; // open segments held the garbage; they are candidates after their grace
                    }
                    if (pressure && !awaitingGrace[0] && running.get() == 0
                            && freedBlocks.get() == freedAtStart) {
                        fruitlessPasses.incrementAndGet(); // nothing to clean, nothing in flight, nothing freed
                    }
                    if (!pressure) {
                        // Idle open segments with expired records are sealed first, so the sweep can reach them.
                        long nowMillis = System.currentTimeMillis();
                        log.sealIdleExpired(nowMillis, SWEEP_INTERVAL_MILLIS);
                        log.sealIfIdleAndExpired(out, nowMillis, SWEEP_INTERVAL_MILLIS);
                        sweepExpired(cpu);
                    }
                    LockSupport.parkNanos(pressure ? 1_000_000 : 10_000_000);
                    continue;
                }
                long relocatedAtStart = relocatedBytes.get();
                running.incrementAndGet();
                try {
                    compact(victims, out, cpu);
                } finally {
                    running.decrementAndGet();
                }
                passes.incrementAndGet();
                long consumed = Math.ceilDiv(relocatedBytes.get() - relocatedAtStart, mem.blockSize());
                long gained = freedBlocks.get() - freedAtStart - consumed;
                if (gained <= 0 && pressure) {
                    // Relocation took as many blocks as it freed: nearly full segments only shuffle their
                    // padding. Writers waiting for space must not wait on such passes forever.
                    fruitlessPasses.incrementAndGet();
                }
                if (gained < log.segmentBlocks() / 4 && waiters.get() == 0) {
                    backoffNanos = Math.min(Math.max(1_000_000, backoffNanos * 2), 200_000_000);
                    LockSupport.parkNanos(backoffNanos);
                } else {
                    backoffNanos = 0;
                }
            } catch (RuntimeException | Error e) {
                if (stopping) {
                    break;
                }
                LOG.log(System.Logger.Level.ERROR, "compaction pass failed on node " + log.node(), e);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
        log.seal(out); // its records become compactable like any other
    }

    /** Picks this pass's victims and claims them (CLOSED to COMPACTING). */
    private int[] plan(boolean pressure, boolean[] awaitingGrace) {
        synchronized (candidates) {
            for (Integer id; (id = log.sealed().poll()) != null; ) {
                candidates.add(id);
            }
            long oldestPin = epochs.oldestPinned();
            long now = System.nanoTime();
            long nowMillis = System.currentTimeMillis();
            long blockSize = mem.blockSize();
            long usedBytes = 0;
            long liveBytes = 0;
            int n = candidates.size();
            double[] scores = new double[n];
            Integer[] order = new Integer[n];
            int eligible = 0;
            for (int i = 0; i < n; i++) {
                int id = candidates.get(i);
                long bytes = (long) segments.blocks(id) * blockSize;
                long live = segments.liveAt(id, nowMillis);
                usedBytes += bytes;
                liveBytes += live;
                if (segments.state(id) != SegmentTable.CLOSED) {
                    continue;
                }
                double u = CostBenefit.utilisation(live, bytes);
                boolean worthIt = pressure ? u <= PRESSURE_MAX_UTILISATION : u <= TIDY_MAX_UTILISATION;
                if (worthIt && segments.closeStamp(id) > oldestPin) {
                    awaitingGrace[0] = true; // appenders that predate the seal are still running
                    continue;
                }
                if (worthIt) {
                    scores[i] = live == 0 ? Double.MAX_VALUE
                            : CostBenefit.score(u, now - segments.createdNanos(id));
                    order[eligible++] = i;
                }
            }
            if (eligible == 0 || (!pressure && usedBytes - liveBytes < TIDY_GARBAGE * usedBytes)) {
                return new int[0];
            }
            Integer[] ranked = Arrays.copyOf(order, eligible);
            Arrays.sort(ranked, (x, y) -> Double.compare(scores[y], scores[x]));
            // Relocations need room: never plan more live data than free blocks (reserve included) can take.
            long budget = Math.max(0, allocator.freeBlocks() - 2) * blockSize;
            int[] picked = new int[Math.min(eligible, maxBatchSegments)];
            int count = 0;
            for (Integer i : ranked) {
                if (count == picked.length) {
                    break;
                }
                int id = candidates.get(i);
                long live = segments.liveAt(id, nowMillis);
                if (live > budget) {
                    continue;
                }
                if (segments.casState(id, SegmentTable.CLOSED, SegmentTable.COMPACTING)) {
                    budget -= live;
                    picked[count++] = id;
                }
            }
            int[] result = Arrays.copyOf(picked, count);
            for (int id : result) {
                candidates.remove(Integer.valueOf(id));
            }
            return result;
        }
    }

    /**
     * Relocates the victims' live records and frees them.
     *
     * @return false when relocation ran out of space; unfinished victims went back to the candidates
     */
    private boolean compact(int[] victims, Appender out, int cpu) {
        boolean complete = true;
        List<Integer> retired = new ArrayList<>(victims.length);
        int done = 0;
        try {
            for (; done < victims.length; done++) {
                int id = victims[done];
                if (stopping) {
                    release(id);
                    continue;
                }
                if (!relocateAll(id, out, cpu)) {
                    complete = false; // out of space even in the reserve: leave this one for a later pass
                    release(id);
                    continue;
                }
                long live = segments.live(id);
                if (live != 0) {
                    LOG.log(System.Logger.Level.ERROR, "segment " + id + " still has " + live
                            + " live bytes after relocation; keeping it");
                    release(id);
                    continue;
                }
                segments.setState(id, SegmentTable.RETIRED);
                retired.add(id);
            }
        } finally {
            for (int i = done + 1; i < victims.length; i++) {
                release(victims[i]); // an exception stopped the pass: unfinished victims become candidates again
            }
            if (done < victims.length) {
                release(victims[done]);
            }
            retire(retired);
        }
        return complete;
    }

    /** Frees the retired victims once no pinned reader can still copy from them. */
    private void retire(List<Integer> retired) {
        if (retired.isEmpty()) {
            return;
        }
        long stamp = epochs.advance();
        while (!epochs.awaitSafe(stamp, TimeUnit.MILLISECONDS.toNanos(100))) {
            if (stopping) {
                synchronized (pendingFree) {
                    for (int id : retired) {
                        pendingFree.add(new long[] {id, stamp});
                    }
                }
                return;
            }
        }
        for (int id : retired) {
            freedBlocks.addAndGet(segments.blocks(id));
            log.free(id);
            freedSegments.incrementAndGet();
            compactedSegments.incrementAndGet();
        }
    }

    /** Frees victims whose wait a stop interrupted. */
    private void freePending() {
        synchronized (pendingFree) {
            for (var it = pendingFree.iterator(); it.hasNext(); ) {
                long[] p = it.next();
                if (epochs.isSafe(p[1])) {
                    freedBlocks.addAndGet(segments.blocks((int) p[0]));
                    log.free((int) p[0]);
                    freedSegments.incrementAndGet();
                    compactedSegments.incrementAndGet();
                    it.remove();
                }
            }
        }
    }

    private void release(int id) {
        segments.setState(id, SegmentTable.CLOSED);
        synchronized (candidates) {
            candidates.add(id);
        }
    }

    /**
     * Active expiry: removes the expired records of sealed segments whose earliest expiry has passed, so expired keys
     * leave the index (and its count) and their bytes become garbage without waiting for a read or for the
     * segment's turn in compaction. A segment is claimed (CLOSED to COMPACTING) while it is walked, so compaction
     * cannot free it meanwhile; its records are removed under their bucket locks, exactly as a read of an expired
     * key removes it. Open segments are reached once sealed: by a write that fills them, or by the idle check
     * before each sweep ({@link NodeLog#sealIfIdleAndExpired}).
     */
    private void sweepExpired(int cpu) {
        long startNanos = System.nanoTime();
        if (!sweepPace.allowed(startNanos)) {
            return;
        }
        long now = System.currentTimeMillis();
        List<Integer> claimed = new ArrayList<>(SWEEP_SEGMENTS);
        // Claimed under the candidates' lock, where plan() claims too: a CLOSED id listed there is the segment's
        // current incarnation, never an id freed and reused since.
        synchronized (candidates) {
            long oldestPin = epochs.oldestPinned();
            for (int id : candidates) {
                if (claimed.size() == SWEEP_SEGMENTS) {
                    break;
                }
                // Past its grace every record of the segment is published or abandoned, so the walk reads whole ones.
                if (segments.minExpiry(id) <= now && segments.closeStamp(id) <= oldestPin
                        && segments.casState(id, SegmentTable.CLOSED, SegmentTable.COMPACTING)) {
                    claimed.add(id);
                }
            }
        }
        // Counted as a running pass: a writer waiting for space sees claimed segments will come back.
        running.incrementAndGet();
        int done = 0;
        try {
            for (; done < claimed.size(); done++) {
                int id = claimed.get(done);
                long seen = segments.takeMinExpiry(id);
                LongStream.Builder remaining = LongStream.builder(); // expiries of the records it leaves
                boolean whole = false;
                try {
                    whole = !stopping && waiters.get() == 0
                            && log.walk(id, segments.endBlock(id), segments.endOffset(id), (address, meta, fp) -> {
                                if (stopping || waiters.get() > 0) {
                                    return false; // writers need compaction now: the sweep can wait
                                }
                                if ((RecordLayout.flags(meta) & RecordLayout.FLAG_EXPIRES) != 0) {
                                    long expiry = expirer.expireIfDue(address, now, cpu);
                                    if (expiry != RecordExpirer.REMOVED && expiry != Long.MAX_VALUE) {
                                        remaining.add(expiry);
                                    }
                                }
                                return true;
                            });
                } finally {
                    // Expiries written meanwhile lowered the cleared value themselves; an unfinished walk puts back
                    // what it found.
                    segments.lowerMinExpiry(id, whole ? nextSweep(remaining.build().toArray(), now) : seen);
                    segments.setState(id, SegmentTable.CLOSED);
                }
            }
        } finally {
            for (int i = done + 1; i < claimed.size(); i++) {
                segments.setState(claimed.get(i), SegmentTable.CLOSED); // an error stopped the sweep before these
            }
            running.decrementAndGet();
            if (!claimed.isEmpty()) {
                sweepPace.ran(startNanos, System.nanoTime());
            }
        }
    }

    /**
     * When to sweep a segment again, given the expiries of its expiring records still indexed: once
     * {@link #SWEEP_DUE_SHARE} of them are due, but no sooner than {@link #SWEEP_INTERVAL_MILLIS} from now; never
     * (MAX_VALUE) when none is left. Sorts {@code expiries}.
     */
    static long nextSweep(long[] expiries, long nowMillis) {
        if (expiries.length == 0) {
            return Long.MAX_VALUE;
        }
        Arrays.sort(expiries);
        int rank = (int) Math.ceil(expiries.length * SWEEP_DUE_SHARE); // 1-based: the rank-th earliest expiry
        return Math.max(expiries[rank - 1], nowMillis + SWEEP_INTERVAL_MILLIS);
    }

    /** Walks the victim's records from its first block to its sealed end, moving the live ones. */
    private boolean relocateAll(int id, Appender out, int cpu) {
        return log.walk(id, segments.endBlock(id), segments.endOffset(id), (address, meta, footprint) -> {
            if (stopping) {
                return false;
            }
            Outcome outcome = mover.move(address, footprint, out, cpu);
            if (outcome == Outcome.MOVED) {
                relocatedBytes.addAndGet(footprint);
            }
            return outcome != Outcome.NO_SPACE;
        });
    }
}
