package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.nibble.Nibble;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET's reply is read from the store into the output buffer around a header sized from a guess. */
class ReplyTest {

    private static String reply(Nibble store, byte[] key, int expected, ByteBuf out) {
        try {
            Reply.bulkFromStore(out, store, key, expected, 2);
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    @Test
    void everyLengthAroundAHeaderWidthChangeComesOutWholeWhateverTheBufferAndGuess() {
        try (Nibble store = Nibble.builder().capacity(16L << 20).build()) {
            for (int length : new int[] {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 4096}) {
                byte[] key = ("k" + length).getBytes(StandardCharsets.UTF_8);
                byte[] value = new byte[length];
                Arrays.fill(value, (byte) 'v');
                store.put(key, value);
                String expectedReply = "$" + length + "\r\n" + "v".repeat(length) + "\r\n";
                for (int guess : new int[] {0, 1, 9, 10, 99, 100, length - 1, length, length + 1, 5000}) {
                    // Capacities just around what the guess plans for, so the real header or value lands at the
                    // buffer's very end: the wider header of a longer value must never run past it.
                    for (int capacity = 1; capacity < 24; capacity++) {
                        ByteBuf out = Unpooled.directBuffer(capacity, 1 << 20);
                        assertEquals(expectedReply, reply(store, key, Math.max(guess, 0), out),
                                "length " + length + " guess " + guess + " capacity " + capacity);
                    }
                }
            }
            assertEquals("$-1\r\n", reply(store, "absent".getBytes(StandardCharsets.UTF_8), 64,
                    Unpooled.directBuffer(4, 1 << 20)));
        }
    }

    @Test
    void repliesAppendAfterWhatTheBufferAlreadyHolds() {
        try (Nibble store = Nibble.builder().capacity(16L << 20).build()) {
            store.put("a".getBytes(StandardCharsets.UTF_8), "0123456789".getBytes(StandardCharsets.UTF_8));
            ByteBuf out = Unpooled.directBuffer(20, 1 << 20);
            out.writeBytes("+OK\r\n".getBytes(StandardCharsets.UTF_8));
            assertEquals("+OK\r\n$10\r\n0123456789\r\n", reply(store, "a".getBytes(StandardCharsets.UTF_8), 9, out));
            ByteBuf heap = Unpooled.buffer(8, 1 << 20); // a heap buffer works the same way
            assertEquals("$10\r\n0123456789\r\n", reply(store, "a".getBytes(StandardCharsets.UTF_8), 1, heap));
        }
    }

    private static String decimal(double value, int protocol) {
        ByteBuf out = Unpooled.buffer();
        try {
            Reply.decimal(out, value, protocol);
            return out.toString(StandardCharsets.US_ASCII);
        } finally {
            out.release();
        }
    }

    /** Doubles come out as C's %.17g prints them, which is how Redis writes the ratios of MEMORY STATS. */
    @Test
    void decimalsAreWrittenAsCFormatsThem() {
        assertEquals(",87.134346008300781\r\n", decimal(87.134346008300781, 3));
        assertEquals("$3\r\n1.5\r\n", decimal(1.5, 2), "trailing zeros dropped, as C's %g drops them");
        assertEquals(",100\r\n", decimal(100, 3), "no point left without decimals");
        assertEquals(",0\r\n", decimal(0, 3));
        assertEquals(",1.0000000000000001e-05\r\n", decimal(1e-5, 3), "small values in exponent form");
        assertEquals(",1e+20\r\n", decimal(1e20, 3));
        assertEquals(",-2.5\r\n", decimal(-2.5, 3));
        assertEquals(",0.0001\r\n", decimal(1e-4, 3), "1e-4 is the last plain one");
        assertEquals(",10000000000000000\r\n", decimal(1e16, 3));
        assertEquals(",1e+17\r\n", decimal(1e17, 3), "from 1e17 in exponent form");
    }

    /** MEMORY DOCTOR answers Redis's texts for a small and a healthy store, and reports bloated resident memory. */
    @Test
    void memoryDoctorJudgesResidentOverLive() {
        assertTrue(ServerCommands.memoryDoctor(stats(1 << 20, 900_000, 1 << 20)).startsWith(
                "Hi Sam, this instance is empty or is using very little memory"));
        assertEquals("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on "
                + "this base.", ServerCommands.memoryDoctor(stats(64 << 20, 60 << 20, 70 << 20)));
        String report = ServerCommands.memoryDoctor(stats(63 << 20, 20 << 20, 128 << 20));
        assertTrue(report.startsWith("Sam, I detected a few issues") && report.contains("2.00 times what the store"),
                report);
    }

    private static io.nibble.NibbleStats stats(long used, long live, long resident) {
        return new io.nibble.NibbleStats(1000, live, used, 1L << 30, resident, 0, 1 << 20, 4, 0, 0, 0, 0, 0, 0, 0);
    }
}
