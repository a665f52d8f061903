package io.nibble.server;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * INCRBYFLOAT's long double arithmetic. The expected texts are what Redis 7.0 (x86-64, glibc) answers for
 * {@code SET k a} then {@code INCRBYFLOAT k b}.
 */
class LongDoubleTest {
    private static String incr(String a, String b) {
        LongDouble.Value x = LongDouble.parse(a.getBytes(StandardCharsets.UTF_8));
        LongDouble.Value y = LongDouble.parse(b.getBytes(StandardCharsets.UTF_8));
        if (x == null || y == null) {
            return "not a valid float";
        }
        LongDouble.Value sum = LongDouble.add(x, y);
        return sum.isInfinite() ? "NaN or Infinity" : LongDouble.format(sum);
    }

    @Test
    void smallDecimalsComeOutAsTyped() {
        assertEquals("0.3", incr("0.1", "0.2"));
        assertEquals("0.8", incr("0.1", "0.7"));
        assertEquals("10.6", incr("10.5", "0.1"));
        assertEquals("3000.5", incr("3.0e3", "0.5"));
        assertEquals("0", incr("1.1", "-1.1"));
        assertEquals("0", incr("-0.0", "0"), "negative zero prints as 0");
        assertEquals("0", incr("-1e-30", "0"), "so does a tiny negative");
    }

    @Test
    void precisionIsSixtyFourBitsNotFiftyThree() {
        assertEquals("9007199254740993", incr("9007199254740993", "0"), "2^53 + 1 survives");
        assertEquals("12345678901234567891", incr("12345678901234567890", "1"));
        assertEquals("12345678901234567889920", incr("12345678901234567890123", "0.5"));
        assertEquals("-2.49999999999999999", incr("-2.5", "1e-17"));
        assertEquals("10000000000000000000", incr("1e19", "0.1"));
    }

    @Test
    void rangeIsTheExtendedFormats() {
        assertTrue(incr("1e308", "1e308").startsWith("1999999999999999999933717593116912913211201996948311344155"));
        assertTrue(incr("1e4932", "0").startsWith("10000000000000000000060189493879638913238377742545331147737"));
        assertEquals("not a valid float", incr("1e4933", "0"), "overflow");
        assertEquals("0", incr("1e-4950", "0"), "a subnormal is accepted");
        assertEquals("0", incr("5e-324", "0"));
        assertEquals("not a valid float", incr("1e-5000", "0"), "underflow to zero");
    }

    @Test
    void theGrammarIsStrtolds() {
        assertEquals("3", incr("0x1.8p1", "0"));
        assertEquals("16", incr("0x10", "0"));
        assertEquals("0.5", incr(".5", "0"));
        assertEquals("5", incr("5.", "0"));
        assertEquals("5", incr("+.5e+1", "0"));
        assertEquals("NaN or Infinity", incr("infinity", "-1"));
        assertEquals("NaN or Infinity", incr("1", "-INF"));
        for (String bad : new String[] {"1e", "0x", "nan", " 1", "1 ", "", "abc", "1.2.3", "--1", "1e+"}) {
            assertEquals("not a valid float", incr(bad, "0"), bad);
        }
        assertNull(LongDouble.parse(new byte[] {'1', 0, '2'}), "an embedded NUL");
    }
}
