package io.nibble.demo;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SizesTest {

    @Test
    void parsesBytesAndSuffixes() {
        assertEquals(4096, Sizes.parse("4096"));
        assertEquals(256L << 10, Sizes.parse("256k"));
        assertEquals(256L << 20, Sizes.parse("256m"));
        assertEquals(256L << 20, Sizes.parse("256MB"));
        assertEquals(2L << 30, Sizes.parse("2g"));
        assertEquals(1L << 40, Sizes.parse("1T"));
    }

    @Test
    void rejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("lots"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("-5m"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse("99999999999999t"));
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse(""));
    }
}
