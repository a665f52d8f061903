package io.nibble.compact;

/**
 * Keeps background work to a share of one thread's time: after a run that took {@code t}, the next may start
 * {@code t * (1 - share) / share} later. Whatever the store's size, work paced this way costs at most that share of
 * a core. Shared by a node's compactor threads; a racy update only shifts the pause by one run.
 */
final class DutyCycle {
    private final double share;
    private volatile long nextAllowedNanos;

    DutyCycle(double share) {
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be in (0, 1]: " + share);
        }
        this.share = share;
    }

    /** Whether work may start at {@code nowNanos} ({@link System#nanoTime()} time). */
    boolean allowed(long nowNanos) {
        return nowNanos - nextAllowedNanos >= 0;
    }

    /** Work ran from {@code startNanos} to {@code endNanos}: the next run waits in proportion. */
    void ran(long startNanos, long endNanos) {
        nextAllowedNanos = endNanos + (long) ((endNanos - startNanos) * (1 - share) / share);
    }
}
