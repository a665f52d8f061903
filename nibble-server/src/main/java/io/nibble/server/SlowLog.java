package io.nibble.server;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Redis's slow log: the latest {@code slowlog-max-len} commands that ran for at least
 * {@code slowlog-log-slower-than} microseconds (a negative threshold turns it off, zero logs every command). Only
 * {@link #isSlow} runs for every command; recording and reading take the log's monitor, which only slow commands
 * and SLOWLOG itself reach.
 */
final class SlowLog {
    /** As Redis: at most this many arguments and this many bytes of each are kept. */
    static final int MAX_ARGUMENTS = 32;
    static final int MAX_ARGUMENT_BYTES = 128;

    private record Entry(long id, long unixSeconds, long micros, byte[][] args, String address, String name) { }

    private final long thresholdNanos;
    private final int maxLength;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long nextId;

    /**
     * @param thresholdMicros log commands at least this slow; negative: log none
     * @param maxLength entries kept, newest first; older ones fall off
     */
    SlowLog(long thresholdMicros, int maxLength) {
        this.thresholdNanos = thresholdMicros < 0 ? -1 : Math.multiplyExact(thresholdMicros, 1000L);
        this.maxLength = maxLength;
    }

    boolean isSlow(long elapsedNanos) {
        return thresholdNanos >= 0 && elapsedNanos >= thresholdNanos;
    }

    /** Records a command that {@link #isSlow} said was slow; its arguments are copied, shortened as in Redis. */
    void add(byte[][] args, long elapsedNanos, String address, String name) {
        int kept = Math.min(args.length, MAX_ARGUMENTS);
        byte[][] copy = new byte[kept][];
        for (int i = 0; i < kept; i++) {
            if (i == MAX_ARGUMENTS - 1 && args.length > MAX_ARGUMENTS) {
                copy[i] = ("... (" + (args.length - MAX_ARGUMENTS + 1) + " more arguments)")
                        .getBytes(StandardCharsets.US_ASCII);
            } else if (args[i].length > MAX_ARGUMENT_BYTES) {
                byte[] head = Arrays.copyOf(args[i], MAX_ARGUMENT_BYTES);
                byte[] tail = ("... (" + (args[i].length - MAX_ARGUMENT_BYTES) + " more bytes)")
                        .getBytes(StandardCharsets.US_ASCII);
                copy[i] = Arrays.copyOf(head, head.length + tail.length);
                System.arraycopy(tail, 0, copy[i], head.length, tail.length);
            } else {
                copy[i] = args[i].clone();
            }
        }
        long now = System.currentTimeMillis() / 1000;
        synchronized (this) {
            if (maxLength == 0) {
                return;
            }
            entries.addFirst(new Entry(nextId++, now, elapsedNanos / 1000, copy, address, name));
            while (entries.size() > maxLength) {
                entries.removeLast();
            }
        }
    }

    /** SLOWLOG GET: the newest {@code count} entries ({@code -1}: all). */
    synchronized void write(ByteBuf out, long count) {
        int n = count < 0 ? entries.size() : (int) Math.min(count, entries.size());
        Reply.arrayHeader(out, n);
        Iterator<Entry> it = entries.iterator();
        for (int i = 0; i < n; i++) {
            Entry e = it.next();
            Reply.arrayHeader(out, 6);
            Reply.integer(out, e.id());
            Reply.integer(out, e.unixSeconds());
            Reply.integer(out, e.micros());
            Reply.arrayHeader(out, e.args().length);
            for (byte[] arg : e.args()) {
                Reply.bulk(out, arg);
            }
            Reply.bulk(out, e.address());
            Reply.bulk(out, e.name());
        }
    }

    synchronized int length() {
        return entries.size();
    }

    synchronized void reset() {
        entries.clear();
    }
}
