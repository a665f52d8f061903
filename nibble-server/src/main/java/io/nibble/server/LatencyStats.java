package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.FastThreadLocal;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Per-command latency distributions for INFO latencystats and LATENCY HISTOGRAM, kept as Redis 7 keeps them:
 * HdrHistograms with two significant digits from 1 ns to 1 s (longer calls count as 1 s).
 *
 * <p>Each I/O thread records into recorders of its own, one per command it has run, so recording takes no lock and
 * writes no cache line another thread writes. A report drains every thread's recorders into the running totals,
 * under this object's monitor; reports are rare and recording never waits for them.
 */
final class LatencyStats {
    static final long LOWEST_NANOS = 1;
    static final long HIGHEST_NANOS = 1_000_000_000L;
    static final int SIGNIFICANT_DIGITS = 2;
    /** The percentiles INFO latencystats reports, Redis's latency-tracking-info-percentiles default. */
    static final double[] INFO_PERCENTILES = {50, 99, 99.9};

    /**
     * One thread's recorders by command id, created by that thread on the first call of each command. The array
     * publishes each recorder with a volatile store, so a report never sees one half built.
     */
    private static final class ThreadRecorders {
        final AtomicReferenceArray<SingleWriterRecorder> byCommand =
                new AtomicReferenceArray<>(CommandTable.size());
    }

    private final List<ThreadRecorders> threads = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<ThreadRecorders> own = new FastThreadLocal<>() {
        @Override
        protected ThreadRecorders initialValue() {
            ThreadRecorders recorders = new ThreadRecorders();
            threads.add(recorders);
            return recorders;
        }
    };
    /** Every call drained so far, by command id; null for commands never called. Guarded by this. */
    private final Histogram[] totals = new Histogram[CommandTable.size()];
    /** Scratch for one drained interval. Guarded by this. */
    private final Histogram interval = newHistogram();

    private static Histogram newHistogram() {
        return new Histogram(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
    }

    /** A call of {@code command} took {@code nanos}; call on the thread that ran it. */
    void record(CommandTable.Command command, long nanos) {
        AtomicReferenceArray<SingleWriterRecorder> mine = own.get().byCommand;
        SingleWriterRecorder recorder = mine.get(command.id());
        if (recorder == null) {
            recorder = new SingleWriterRecorder(LOWEST_NANOS, HIGHEST_NANOS, SIGNIFICANT_DIGITS);
            mine.set(command.id(), recorder);
        }
        recorder.recordValue(Math.clamp(nanos, LOWEST_NANOS, HIGHEST_NANOS));
    }

    /** Moves what every thread recorded since the last report into the totals. */
    private void drain() {
        for (ThreadRecorders t : threads) {
            for (int id = 0; id < totals.length; id++) {
                SingleWriterRecorder recorder = t.byCommand.get(id);
                if (recorder != null) {
                    recorder.getIntervalHistogramInto(interval);
                    if (interval.getTotalCount() > 0) {
                        if (totals[id] == null) {
                            totals[id] = newHistogram();
                        }
                        totals[id].add(interval);
                    }
                }
            }
        }
    }

    /** INFO latencystats: {@code latency_percentiles_usec_<command>:p50=..,p99=..,p99.9=..} per command called. */
    synchronized void appendInfo(StringBuilder b) {
        drain();
        for (int id = 0; id < totals.length; id++) {
            Histogram h = totals[id];
            if (h == null) {
                continue;
            }
            b.append("latency_percentiles_usec_").append(CommandTable.byId(id).fullName()).append(':');
            for (int i = 0; i < INFO_PERCENTILES.length; i++) {
                double p = INFO_PERCENTILES[i];
                b.append(i == 0 ? "p" : ",p").append(percentileName(p)).append('=')
                        .append(String.format(Locale.ROOT, "%.3f", valueAtPercentile(h, p) / 1000.0));
            }
            b.append("\r\n");
        }
    }

    /** The INFO percentiles as CONFIG GET latency-tracking-info-percentiles shows them: "50 99 99.9". */
    static String infoPercentiles() {
        StringBuilder b = new StringBuilder();
        for (double p : INFO_PERCENTILES) {
            b.append(b.isEmpty() ? "" : " ").append(percentileName(p));
        }
        return b.toString();
    }

    /** 50, 99, 99.9: as Redis prints a percentile, with no trailing zeros. */
    static String percentileName(double p) {
        return p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p);
    }

    /**
     * LATENCY HISTOGRAM as Redis 7 answers it: for each command called, or for each of {@code wanted} in the order
     * asked (a container standing for its subcommands), its calls and, per power-of-two bucket from 1,024 ns, how
     * many calls took at most the bucket's top, labelled in microseconds (1, 2, 4, 8, 16, 33, 66...); a bucket that
     * adds no calls is left out.
     *
     * @param wanted the commands asked for; null for every command called
     */
    synchronized void writeHistograms(ByteBuf out, List<CommandTable.Command> wanted, int protocol) {
        drain();
        List<CommandTable.Command> shown = new ArrayList<>();
        if (wanted == null) {
            for (int id = 0; id < totals.length; id++) {
                if (totals[id] != null) {
                    shown.add(CommandTable.byId(id));
                }
            }
        } else {
            for (CommandTable.Command c : wanted) {
                if (totals[c.id()] != null) {
                    shown.add(c);
                }
                for (CommandTable.Command sub : c.subcommands().values()) {
                    if (totals[sub.id()] != null) {
                        shown.add(sub);
                    }
                }
            }
        }
        Reply.mapHeader(out, shown.size(), protocol);
        for (CommandTable.Command c : shown) {
            Histogram h = totals[c.id()];
            Reply.bulk(out, c.fullName());
            Reply.mapHeader(out, 2, protocol);
            Reply.bulk(out, "calls");
            Reply.integer(out, h.getTotalCount());
            Reply.bulk(out, "histogram_usec");
            List<long[]> buckets = buckets(h);
            Reply.mapHeader(out, buckets.size(), protocol);
            for (long[] bucket : buckets) {
                Reply.integer(out, bucket[0]);
                Reply.integer(out, bucket[1]);
            }
        }
    }

    /**
     * Redis's histogram_usec pairs: for bounds doubling from 1,024 ns, the top of the bound's slot in microseconds
     * and the calls at or below it, where that count grew. Past the last slot (2^30 - 1 ns, which holds the calls
     * clamped to 1 s) the top is the last slot's.
     */
    static List<long[]> buckets(Histogram h) {
        List<long[]> buckets = new ArrayList<>();
        long lastTop = (Long.highestOneBit(HIGHEST_NANOS) << 1) - 1;
        long previous = 0;
        for (long bound = 1024; previous < h.getTotalCount(); bound *= 2) {
            long top = Math.min(h.highestEquivalentValue(bound), lastTop);
            long atMost = h.getCountBetweenValues(0, Math.min(bound, HIGHEST_NANOS));
            if (top == lastTop) {
                atMost = h.getTotalCount();
            }
            if (atMost > previous) {
                buckets.add(new long[] {top / 1000, atMost});
                previous = atMost;
            }
        }
        return buckets;
    }

    /**
     * The value at a percentile as hdr_histogram's C library finds it for Redis: the call whose rank is the
     * percentile of the total rounded to the nearest (HdrHistogram's Java method rounds up), reported as the top of
     * its slot.
     */
    static long valueAtPercentile(Histogram h, double percentile) {
        long rank = Math.max(1, (long) (percentile / 100 * h.getTotalCount() + 0.5));
        // Asking for the percentile of rank - 0.5 makes the Java method's rounding up land on the rank itself.
        return h.getValueAtPercentile(100.0 * (rank - 0.5) / h.getTotalCount());
    }

    /** CONFIG RESETSTAT: the distributions start again from nothing. */
    synchronized void reset() {
        drain();
        Arrays.fill(totals, null);
    }
}
