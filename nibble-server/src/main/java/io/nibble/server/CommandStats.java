package io.nibble.server;

import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-command counters for INFO commandstats and counts of error replies by code for INFO errorstats, as Redis keeps
 * them. Every I/O thread adds to them on every command, so they are {@link LongAdder}s: the threads do not contend
 * on one cache line.
 */
final class CommandStats {
    /** Error codes come from the server's own messages; the cap only guards against a message that varies. */
    private static final int MAX_ERROR_CODES = 128;

    private final LongAdder[] calls = adders();
    private final LongAdder[] nanos = adders();
    private final LongAdder[] failed = adders();
    private final LongAdder[] rejected = adders();
    private final ConcurrentHashMap<String, LongAdder> errorsByCode = new ConcurrentHashMap<>();
    private final LongAdder errorReplies = new LongAdder();

    private static LongAdder[] adders() {
        LongAdder[] a = new LongAdder[CommandTable.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    /** A command ran for {@code elapsedNanos}; {@code failedCall} when it answered with an error. */
    void called(CommandTable.Command command, long elapsedNanos, boolean failedCall) {
        int id = command.id();
        calls[id].increment();
        nanos[id].add(elapsedNanos);
        if (failedCall) {
            failed[id].increment();
        }
    }

    /** A command was refused before it ran: wrong arity, not authenticated, not allowed in MULTI. */
    void rejected(CommandTable.Command command) {
        rejected[command.id()].increment();
    }

    /** Counts an error reply under its code, the message's first word (ERR, WRONGTYPE, NOAUTH...). */
    void errorReply(String message) {
        errorReplies.increment();
        int space = message.indexOf(' ');
        String code = space < 0 ? message : message.substring(0, space);
        LongAdder count = errorsByCode.get(code);
        if (count == null) {
            if (errorsByCode.size() >= MAX_ERROR_CODES) {
                return;
            }
            count = errorsByCode.computeIfAbsent(code, c -> new LongAdder());
        }
        count.increment();
    }

    /** Commands run since start or the last CONFIG RESETSTAT. */
    long totalCalls() {
        long sum = 0;
        for (LongAdder a : calls) {
            sum += a.sum();
        }
        return sum;
    }

    long totalErrorReplies() {
        return errorReplies.sum();
    }

    /** INFO commandstats lines for every command called or rejected at least once. */
    void appendCommandStats(StringBuilder b) {
        for (int id = 0; id < calls.length; id++) {
            long n = calls[id].sum();
            long refused = rejected[id].sum();
            if (n == 0 && refused == 0) {
                continue;
            }
            long usec = nanos[id].sum() / 1000;
            b.append("cmdstat_").append(CommandTable.byId(id).fullName()).append(":calls=").append(n)
                    .append(",usec=").append(usec)
                    .append(",usec_per_call=").append(String.format(Locale.ROOT, "%.2f", n == 0 ? 0.0 : (double) usec / n))
                    .append(",rejected_calls=").append(refused)
                    .append(",failed_calls=").append(failed[id].sum()).append("\r\n");
        }
    }

    /** INFO errorstats lines, one per error code seen. */
    void appendErrorStats(StringBuilder b) {
        new java.util.TreeMap<>(errorsByCode).forEach((code, count) ->
                b.append("errorstat_").append(code).append(":count=").append(count.sum()).append("\r\n"));
    }

    /** CONFIG RESETSTAT. */
    void reset() {
        for (LongAdder[] group : new LongAdder[][] {calls, nanos, failed, rejected}) {
            for (LongAdder a : group) {
                a.reset();
            }
        }
        errorsByCode.clear();
        errorReplies.reset();
    }
}
