package io.nibble;

/**
 * A snapshot of a store's counters. Fields are read one after another while the store runs, so they are each
 * accurate but not mutually consistent under concurrent writes.
 *
 * @param keys live keys (a key whose expiry passed counts until a command finds it, the background sweep removes
 *     it, or compaction drops it)
 * @param liveBytes bytes of records the index references, headers and padding included
 * @param usedBytes bytes of blocks held by segments
 * @param capacityBytes bytes of log memory, the compaction reserve included
 * @param residentBytes off-heap bytes the OS holds for the store (log and index), read with {@code mincore}; where
 *     the OS cannot tell, the bytes of held blocks plus the index buckets in use
 * @param compactedSegments segments compaction has cleaned and freed since the store opened
 * @param indexBytes resident bytes of the hash index (included in {@code residentBytes})
 * @param segments segments in use (open, sealed and awaiting reclamation)
 * @param relocatedBytes bytes compaction has copied
 * @param fullRejections puts that ended in {@link NibbleFullException}
 * @param reserveBytes bytes held back for compaction
 * @param indexResizes index subtable resizes completed since the store opened
 * @param expiringKeys keys with an expiry, counted as {@code keys} is
 * @param expiredKeys keys removed or written over after their expiry passed, whether a read, a write or the
 *     background sweep found them (Redis's {@code expired_keys})
 * @param meanExpiryMillis mean expiry (epoch ms) of the keys with one, 0 when none has; its distance from now is
 *     Redis's {@code avg_ttl}
 */
public record NibbleStats(long keys, long liveBytes, long usedBytes, long capacityBytes, long residentBytes,
                          long compactedSegments, long indexBytes, long segments, long relocatedBytes,
                          long fullRejections, long reserveBytes, long indexResizes, long expiringKeys,
                          long expiredKeys, long meanExpiryMillis) {

    /** Held memory over live data: 1.0 means no overhead. */
    public double usedOverLive() {
        return liveBytes == 0 ? 0 : (double) usedBytes / liveBytes;
    }

    /** Mean time to live of the keys with an expiry, in ms from {@code nowMillis}; 0 when none has (avg_ttl). */
    public long averageTtlMillis(long nowMillis) {
        return expiringKeys > 0 && meanExpiryMillis > nowMillis ? meanExpiryMillis - nowMillis : 0;
    }

    /** Live bytes over capacity. */
    public double utilisation() {
        return capacityBytes == 0 ? 0 : (double) liveBytes / capacityBytes;
    }
}
