package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Bitmaps (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP), LCS and RESET, checked against the examples of Redis's own
 * command documentation. {@link RedisConformanceTest} compares them with a real Redis at random as well.
 */
class BitmapAndLcsTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2,
            config -> config.requirePass = "secret");

    private static Jedis client() {
        return SERVER.client();
    }

    private static Object call(Jedis j, String... command) {
        byte[] name = command[0].getBytes(StandardCharsets.UTF_8);
        ProtocolCommand protocolCommand = () -> name;
        return j.sendCommand(protocolCommand, java.util.Arrays.copyOfRange(command, 1, command.length));
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    @Test
    void setbitGetbitAndBitcount() {
        try (Jedis j = client()) {
            assertEquals(false, j.setbit("mykey", 7, true));
            assertEquals(true, j.getbit("mykey", 7));
            assertEquals(false, j.getbit("mykey", 0));
            assertEquals(false, j.getbit("mykey", 100), "past the end is zero");
            assertEquals(true, j.setbit("mykey", 7, false), "returns the bit it replaced");
            assertEquals(false, j.setbit("grow", 17, true));
            assertArrayEquals(bytes(0, 0, 0x40), j.get("grow".getBytes()), "grown with zero bytes");
            j.set("mykey", "foobar");
            assertEquals(26L, j.bitcount("mykey"));
            assertEquals(4L, call(j, "BITCOUNT", "mykey", "0", "0"));
            assertEquals(6L, call(j, "BITCOUNT", "mykey", "1", "1"));
            assertEquals(6L, call(j, "BITCOUNT", "mykey", "1", "1", "BYTE"));
            assertEquals(17L, call(j, "BITCOUNT", "mykey", "5", "30", "BIT"));
            assertEquals(0L, call(j, "BITCOUNT", "missing", "x", "y"), "a missing key counts 0 first");
            j.set("ttl", "a");
            j.expire("ttl", 100);
            j.setbit("ttl", 1, true);
            assertEquals(true, j.ttl("ttl") > 0, "SETBIT keeps the expiry");
            JedisDataException e = assertThrows(JedisDataException.class, () -> call(j, "SETBIT", "k", "-1", "1"));
            assertEquals("ERR bit offset is not an integer or out of range", e.getMessage());
            e = assertThrows(JedisDataException.class, () -> call(j, "SETBIT", "k", "1", "2"));
            assertEquals("ERR bit is not an integer or out of range", e.getMessage());
        }
    }

    @Test
    void bitposFindsSetAndClearBits() {
        try (Jedis j = client()) {
            j.set("mykey".getBytes(), bytes(0xff, 0xf0, 0x00));
            assertEquals(12L, call(j, "BITPOS", "mykey", "0"));
            j.set("mykey".getBytes(), bytes(0x00, 0xff, 0xf0));
            assertEquals(8L, call(j, "BITPOS", "mykey", "1", "0"));
            assertEquals(16L, call(j, "BITPOS", "mykey", "1", "2"));
            assertEquals(16L, call(j, "BITPOS", "mykey", "1", "2", "-1", "BYTE"));
            assertEquals(8L, call(j, "BITPOS", "mykey", "1", "7", "15", "BIT"));
            assertEquals(8L, call(j, "BITPOS", "mykey", "1", "7", "-3", "BIT"));
            j.set("mykey".getBytes(), bytes(0, 0, 0));
            assertEquals(-1L, call(j, "BITPOS", "mykey", "1"));
            j.set("ones".getBytes(), bytes(0xff, 0xff));
            assertEquals(16L, call(j, "BITPOS", "ones", "0"), "zeros follow the value without an end");
            assertEquals(-1L, call(j, "BITPOS", "ones", "0", "0", "-1"), "but not within an explicit range");
            assertEquals(0L, call(j, "BITPOS", "missing", "0"));
            assertEquals(-1L, call(j, "BITPOS", "missing", "1"));
        }
    }

    @Test
    void bitopCombinesAndReplacesTheDestination() {
        try (Jedis j = client()) {
            j.set("key1", "foobar");
            j.set("key2", "abcdef");
            assertEquals(6L, call(j, "BITOP", "AND", "dest", "key1", "key2"));
            assertEquals("`bc`ab", j.get("dest"));
            j.set("short".getBytes(), bytes(0x0f));
            assertEquals(6L, call(j, "BITOP", "OR", "dest", "short", "key1"));
            assertArrayEquals(bytes('f' | 0x0f, 'o', 'o', 'b', 'a', 'r'), j.get("dest".getBytes()));
            assertEquals(1L, call(j, "BITOP", "NOT", "dest", "short"));
            assertArrayEquals(bytes(0xf0), j.get("dest".getBytes()));
            j.expire("dest", 100);
            assertEquals(0L, call(j, "BITOP", "XOR", "dest", "missing1", "missing2"));
            assertNull(j.get("dest"), "an empty result deletes the destination");
            JedisDataException e = assertThrows(JedisDataException.class,
                    () -> call(j, "BITOP", "NOT", "dest", "key1", "key2"));
            assertEquals("ERR BITOP NOT must be called with a single source key.", e.getMessage());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void lcsAnswersTheStringTheLengthAndTheMatches() {
        try (Jedis j = client()) {
            j.mset("key1", "ohmytext", "key2", "mynewtext");
            assertEquals("mytext", new String((byte[]) call(j, "LCS", "key1", "key2"), StandardCharsets.UTF_8));
            assertEquals(6L, call(j, "LCS", "key1", "key2", "LEN"));
            List<Object> idx = (List<Object>) call(j, "LCS", "key1", "key2", "IDX");
            assertEquals("[matches, [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], len, 6]", text(idx));
            idx = (List<Object>) call(j, "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN");
            assertEquals("[matches, [[[4, 7], [5, 8], 4]], len, 6]", text(idx));
            JedisDataException e = assertThrows(JedisDataException.class,
                    () -> call(j, "LCS", "key1", "key2", "IDX", "LEN"));
            assertEquals("ERR If you want both the length and indexes, please just use IDX.", e.getMessage());
        }
    }

    @Test
    void resetReturnsTheConnectionToItsFreshState() {
        try (Jedis j = client()) {
            j.clientSetname("before");
            call(j, "MULTI");
            call(j, "SET", "k", "v");
            assertEquals("RESET", text(call(j, "RESET")), "runs at once, even inside MULTI");
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.get("k"));
            assertEquals("NOAUTH Authentication required.", e.getMessage(), "RESET signs the client out");
            j.auth("secret");
            assertNull(j.get("k"), "the transaction was discarded, not run");
            assertNull(j.clientGetname(), "the name is cleared too");
            JedisDataException exec = assertThrows(JedisDataException.class, () -> call(j, "EXEC"));
            assertEquals("ERR EXEC without MULTI", exec.getMessage(), "no transaction is left open");
        }
    }

    private static String text(Object reply) {
        if (reply instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        if (reply instanceof List<?> list) {
            List<String> items = new ArrayList<>();
            list.forEach(item -> items.add(text(item)));
            return items.toString();
        }
        return String.valueOf(reply);
    }
}
