package io.nibble.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One server-wide limit on the heap that clients' requests hold before they run: the arguments of commands still
 * arriving, and the commands MULTI has queued. The per-client limits (largest bulk, queued bytes) still let every
 * client hold that much at once, max-clients times over; this bounds the sum, so many large uploads at once cost
 * one of them its connection instead of costing the JVM its heap.
 *
 * <p>Each holder ({@link Share}) counts its own bytes and reserves in the shared counter only what it holds beyond
 * {@link #ALLOWANCE}, in steps of at least that much, so ordinary commands never touch the shared counter.
 */
final class InputBudget {
    /** Bytes a holder may keep without reserving: a command of this size or less costs no shared write. */
    static final long ALLOWANCE = 64 << 10;

    private final long limit;
    private final AtomicLong reserved = new AtomicLong();

    InputBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("the input budget must be positive: " + limit);
        }
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    /** Bytes reserved by all holders together. */
    long reserved() {
        return reserved.get();
    }

    /** Never lets the sum pass the limit; two holders reserving at once may both be refused where one would fit. */
    private boolean tryReserve(long bytes) {
        if (reserved.addAndGet(bytes) > limit) {
            reserved.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    /** A holder's account. Not thread-safe: one connection's decoder, or one session, uses it. */
    final class Share {
        private long held;
        private long reservedHere;

        /** Counts {@code bytes} more; false, counting nothing, when the budget cannot take them. */
        boolean hold(long bytes) {
            long over = held + bytes - ALLOWANCE;
            if (over > reservedHere) {
                long more = Math.max(over - reservedHere, ALLOWANCE);
                if (!tryReserve(more)) {
                    return false;
                }
                reservedHere += more;
            }
            held += bytes;
            return true;
        }

        /** Everything held is gone: gives its reservation back. */
        void releaseAll() {
            held = 0;
            if (reservedHere > 0) {
                reserved.addAndGet(-reservedHere);
                reservedHere = 0;
            }
        }

        /** The budget's limit, for messages. */
        long limit() {
            return limit;
        }
    }
}
