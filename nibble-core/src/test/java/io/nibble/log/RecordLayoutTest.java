package io.nibble.log;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecordLayoutTest {

    @Test
    void metaWordRoundTripsItsFields() {
        long meta = RecordLayout.meta(RecordLayout.FLAG_EXPIRES | RecordLayout.FLAG_TOMBSTONE, 65_535, 0x7FFF_FFFF);
        assertEquals(RecordLayout.FLAG_EXPIRES | RecordLayout.FLAG_TOMBSTONE, RecordLayout.flags(meta));
        assertEquals(65_535, RecordLayout.keyLength(meta));
        assertEquals(0x7FFF_FFFF, RecordLayout.valueLength(meta));
        long shorter = RecordLayout.withValueLength(meta, 12);
        assertEquals(12, RecordLayout.valueLength(shorter));
        assertEquals(65_535, RecordLayout.keyLength(shorter));
        assertEquals(RecordLayout.flags(meta), RecordLayout.flags(shorter));
    }

    @Test
    void footprintsAreEightByteAlignedAndCapacityAbsorbsThePadding() {
        for (int key = 0; key < 20; key++) {
            for (int value = 0; value < 40; value++) {
                for (int header : new int[] {RecordLayout.HEADER, RecordLayout.MAX_HEADER}) {
                    long fp = RecordLayout.footprint(header, key, value);
                    assertEquals(0, fp % 8);
                    assertTrue(fp >= header + key + value && fp < header + key + value + 8);
                    int capacity = RecordLayout.capacityFor(header, key, value);
                    assertTrue(capacity >= value && capacity < value + 8);
                    assertEquals(fp, RecordLayout.footprint(header, key, capacity));
                }
            }
        }
        assertEquals(RecordLayout.HEADER + RecordLayout.EXPIRY_FIELD,
                RecordLayout.headerLength(RecordLayout.FLAG_EXPIRES));
        assertEquals(RecordLayout.HEADER, RecordLayout.headerLength(0));
    }
}
