package io.nibble.log;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The per-segment expiry bookkeeping compaction and the expiry sweep rely on. */
class SegmentTableTest {

    /**
     * Live bytes at a time count expiring records as garbage once the segment's latest expiry has passed, but only
     * those still live: bytes of an expiring record that was removed or moved are not taken off twice.
     */
    @Test
    void liveBytesAfterTheLatestExpiryCountOnlyLiveExpiringRecordsAsGarbage() {
        SegmentTable table = new SegmentTable(4);
        int id = table.open(0);
        table.addLive(id, 700); // seven persistent records of 100 bytes
        for (int i = 0; i < 3; i++) {
            table.addLive(id, 100);
            table.noteExpiring(id, 100, 1_000 + i);
        }
        assertEquals(1_000, table.liveAt(id, 500), "before any expiry everything is live");
        assertEquals(700, table.liveAt(id, 5_000), "after the latest expiry the expiring bytes are garbage");
        table.addLive(id, -100); // one expiring record removed (by a delete, a replacement or the sweep)
        table.dropExpiring(id, 100);
        assertEquals(700, table.liveAt(id, 5_000), "the removed record is not taken off a second time");
        assertEquals(900, table.liveAt(id, 500));
    }

    /**
     * A sweep takes the earliest expiry and sets the next one by lowering; an expiry written while it walks lowers
     * the cleared value itself, so it is not lost when the sweep sets a later one.
     */
    @Test
    void anExpiryWrittenDuringASweepIsKept() {
        SegmentTable table = new SegmentTable(4);
        int id = table.open(0);
        assertEquals(Long.MAX_VALUE, table.minExpiry(id), "a new segment has nothing to expire");
        table.noteExpiry(id, 3_000);
        table.noteExpiry(id, 1_000);
        table.noteExpiry(id, 2_000);
        assertEquals(1_000, table.minExpiry(id));
        long seen = table.takeMinExpiry(id);
        assertEquals(1_000, seen);
        table.noteExpiry(id, 1_500); // an in-place update during the walk
        table.lowerMinExpiry(id, 3_000); // the sweep found 3,000 the earliest left
        assertEquals(1_500, table.minExpiry(id));
    }
}
