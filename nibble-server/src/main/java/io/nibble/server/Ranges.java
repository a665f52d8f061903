package io.nibble.server;

/** Redis's inclusive ranges over a string (GETRANGE, BITCOUNT, BITPOS). */
final class Ranges {
    private Ranges() {
    }

    /**
     * Clamps {@code [start, end]} into {@code [0, total)}: negative offsets count from the end, and both ends are
     * then pulled inside, so an end before the start still covers the first unit, as in Redis 7.
     *
     * @return {start, end}, or null for an empty range
     */
    static long[] clamp(long total, long start, long end) {
        if (start < 0) {
            start += total;
        }
        if (end < 0) {
            end += total;
        }
        start = Math.max(start, 0);
        end = Math.min(Math.max(end, 0), total - 1);
        return start > end ? null : new long[] {start, end};
    }
}
