package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ClientKillParams;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * String ranges, key copies and renames, OBJECT and MEMORY, and connection management (CLIENT LIST and KILL)
 * through Jedis, compared with what Redis 7 answers.
 */
@SuppressWarnings("deprecation") // SUBSTR and SETEX are deprecated in Redis but still served
class KeyCommandsTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2);

    private static Jedis client() {
        return SERVER.client();
    }

    @Test
    void rangesOfStrings() {
        try (Jedis j = client()) {
            j.set("s", "Hello World");
            assertEquals("Hello", j.getrange("s", 0, 4));
            assertEquals("World", j.getrange("s", -5, -1));
            assertEquals("Hello World", j.getrange("s", 0, -1));
            assertEquals("Hello World", j.getrange("s", -100, 100));
            assertEquals("", j.getrange("s", 5, 2));
            assertEquals("", j.getrange("missing", 0, -1));
            assertEquals("ello", j.substr("s", 1, 4));
            assertEquals(11, j.setrange("s", 6, "Redis"));
            assertEquals("Hello Redis", j.get("s"));
            assertEquals(13, j.setrange("s", 11, "!!"));
            assertEquals("Hello Redis!!", j.get("s"));
            // Padding with zero bytes, on a missing key too; an empty patch creates nothing.
            assertEquals(3, j.setrange("z", 2, "x"));
            assertArrayEquals(new byte[] {0, 0, 'x'}, j.get("z".getBytes(StandardCharsets.UTF_8)));
            assertEquals(0, j.setrange("none", 4, ""));
            assertFalse(j.exists("none"));
            assertEquals(13, j.setrange("s", 3, ""));
            assertThrows(JedisDataException.class, () -> j.setrange("s", -1, "x"));
            // SETRANGE keeps the key's expiry, as APPEND does.
            j.setex("t", 100, "abc");
            j.setrange("t", 1, "X");
            assertEquals("aXc", j.get("t"));
            assertTrue(j.ttl("t") > 90);
        }
    }

    @Test
    void renameAndCopyKeepValuesAndExpiries() {
        try (Jedis j = client()) {
            j.setex("a", 100, "alpha");
            assertEquals("OK", j.rename("a", "b"));
            assertFalse(j.exists("a"));
            assertEquals("alpha", j.get("b"));
            assertTrue(j.ttl("b") > 90, "RENAME keeps the TTL");
            JedisDataException missing = assertThrows(JedisDataException.class, () -> j.rename("a", "c"));
            assertEquals("ERR no such key", missing.getMessage());
            assertEquals("OK", j.rename("b", "b"));
            j.set("c", "gamma");
            assertEquals(0, j.renamenx("b", "c"));
            assertEquals("gamma", j.get("c"));
            assertEquals(1, j.renamenx("b", "d"));
            assertEquals("alpha", j.get("d"));
            j.set("plain", "old");
            assertEquals("OK", j.rename("d", "plain"));
            assertTrue(j.ttl("plain") > 90, "the destination takes the source's TTL");

            assertTrue(j.copy("c", "e", false));
            assertEquals("gamma", j.get("e"));
            assertEquals("gamma", j.get("c"));
            assertEquals(-1, j.ttl("e"));
            assertFalse(j.copy("plain", "e", false));
            assertEquals("gamma", j.get("e"));
            assertTrue(j.copy("plain", "e", true));
            assertEquals("alpha", j.get("e"));
            assertTrue(j.ttl("e") > 90);
            assertFalse(j.copy("missing", "f", true));
            assertFalse(j.exists("f"));
            JedisDataException same = assertThrows(JedisDataException.class, () -> j.copy("c", "c", true));
            assertEquals("ERR source and destination objects are the same", same.getMessage());
        }
    }

    /**
     * One token moves between two keys by RENAME from two clients, while two others read both keys with MGET: the
     * token must be in exactly one key at every read. A rename that ran as two unisolated steps would show it in
     * neither or in both.
     */
    @Test
    void renameMovesAKeyInOneStep() throws Exception {
        try (Jedis j = client()) {
            j.set("left", "token");
        }
        int renames = 1500;
        AtomicBoolean moving = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        AtomicLong moved = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[4];
        for (int w = 0; w < 2; w++) {
            threads[w] = Thread.ofPlatform().unstarted(() -> {
                try (Jedis j = client()) {
                    for (int i = 0; i < renames; i++) {
                        try {
                            j.rename((i & 1) == 0 ? "left" : "right", (i & 1) == 0 ? "right" : "left");
                            moved.incrementAndGet();
                        } catch (JedisDataException e) {
                            assertEquals("ERR no such key", e.getMessage()); // the other mover got there first
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        for (int r = 2; r < threads.length; r++) {
            threads[r] = Thread.ofPlatform().unstarted(() -> {
                try (Jedis j = client()) {
                    while (moving.get()) {
                        List<String> both = j.mget("left", "right");
                        long present = both.stream().filter(v -> v != null).count();
                        assertEquals(1, present, "the token is in " + present + " keys: " + both);
                        reads.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        for (Thread t : threads) {
            t.start();
        }
        threads[0].join();
        threads[1].join();
        moving.set(false);
        threads[2].join();
        threads[3].join();
        assertNull(failure.get(), () -> "client failed: " + failure.get());
        assertTrue(reads.get() > 100 && moved.get() > 100, reads + " reads, " + moved + " moves");
        try (Jedis j = client()) {
            assertEquals(1, j.exists("left", "right"));
        }
    }

    @Test
    void objectMemoryTouchAndRole() throws Exception {
        try (Jedis j = client()) {
            j.set("n", "12345");
            j.set("short", "hello");
            j.set("long", "x".repeat(100));
            j.set("padded", "012");
            assertEquals("int", j.objectEncoding("n"));
            assertEquals("embstr", j.objectEncoding("short"));
            assertEquals("embstr", j.objectEncoding("padded"), "a leading zero is not an integer encoding");
            assertEquals("raw", j.objectEncoding("long"));
            assertNull(j.objectEncoding("missing"));
            assertEquals(1, j.objectRefcount("n"));
            j.set("shared", "42");
            assertEquals(Integer.MAX_VALUE, j.objectRefcount("shared"), "Redis's shared integers, 0 to 9999");
            j.del("shared");
            assertNull(j.objectFreq("missing"), "a missing key answers nil first");
            assertThrows(JedisDataException.class, () -> j.objectFreq("n"));
            long small = j.memoryUsage("short");
            long large = j.memoryUsage("long");
            assertTrue(small >= 24 + 5 + 5 && small < 100, "MEMORY USAGE of a small key: " + small);
            assertTrue(large - small >= 80, "a longer value takes more: " + small + " and " + large);
            assertNull(j.memoryUsage("missing"));
            Map<String, Object> memory = j.memoryStats();
            assertEquals(j.dbSize(), memory.get("keys.count"), memory.toString());
            long dataset = (Long) memory.get("dataset.bytes");
            assertTrue(dataset > 0 && dataset <= (Long) memory.get("total.allocated"), memory.toString());
            assertTrue(memory.get("db.0").toString().contains("overhead.hashtable.main"), memory.toString());
            assertTrue(j.memoryDoctor().startsWith("Hi Sam, this instance is empty"), "a small store, as Redis says");
            long lastSave = (Long) j.sendCommand(redis.clients.jedis.Protocol.Command.LASTSAVE);
            assertTrue(lastSave <= System.currentTimeMillis() / 1000 && lastSave > System.currentTimeMillis() / 1000 - 3600);
            assertTrue(j.info("persistence").contains("rdb_last_save_time:" + lastSave + "\r\n"));
            assertEquals(2, j.touch("n", "short", "missing"));
            assertEquals(List.of("master", 0L, List.of()), j.role());
            assertTrue(j.info("replication").contains("role:master"));
            j.expire("n", 100);
            j.set("later", "x", redis.clients.jedis.params.SetParams.setParams().ex(200));
            String keyspace = j.info("keyspace");
            var line = java.util.regex.Pattern.compile("db0:keys=5,expires=2,avg_ttl=(\\d+)\r\n").matcher(keyspace);
            assertTrue(line.find(), keyspace);
            long avgTtl = Long.parseLong(line.group(1)); // the mean of about 100 s and 200 s, to the second
            assertTrue(avgTtl >= 148_000 && avgTtl <= 150_000, keyspace);
            j.del("later");
            j.persist("n");
            assertTrue(j.info("keyspace").contains("db0:keys=4,expires=0,avg_ttl=0\r\n"), j.info("keyspace"));
            assertTrue(j.info("clients").contains("blocked_clients:0"));
        }
    }

    @Test
    void clientListAndKill() throws Exception {
        try (Jedis victim = client(); Jedis admin = client(); Jedis self = client()) {
            victim.clientSetname("victim");
            victim.clientSetInfo(redis.clients.jedis.args.ClientAttributeOption.LIB_NAME, "testlib");
            long victimId = victim.clientId();
            String list = admin.clientList();
            String line = list.lines().filter(l -> l.contains("name=victim")).findFirst().orElseThrow();
            assertTrue(line.startsWith("id=" + victimId + " addr=127.0.0.1:"), line);
            assertTrue(line.contains(" lib-name=testlib") && line.contains(" cmd=client"), line);
            assertTrue(list.lines().count() >= 2, list);
            assertEquals(line, admin.clientList(victimId).strip());
            String address = line.split(" ")[1].substring("addr=".length());

            assertEquals(0, admin.clientKill(ClientKillParams.clientKillParams().id(Long.toString(9_999_999))));
            assertEquals(1, admin.clientKill(ClientKillParams.clientKillParams().id(Long.toString(victimId))));
            assertThrows(JedisConnectionException.class, victim::ping, "the killed connection is closed");
            JedisDataException gone = assertThrows(JedisDataException.class, () -> admin.clientKill(address));
            assertEquals("ERR No such client", gone.getMessage());
            assertFalse(admin.clientList().contains("name=victim"));

            // SKIPME yes (the default) spares the caller; SKIPME no closes it after the reply.
            long selfId = self.clientId();
            assertEquals(0, self.clientKill(ClientKillParams.clientKillParams().id(Long.toString(selfId))));
            assertEquals(1, self.clientKill(ClientKillParams.clientKillParams().id(Long.toString(selfId))
                    .skipMe(ClientKillParams.SkipMe.NO)));
            assertThrows(JedisConnectionException.class, self::ping);
            assertEquals("PONG", admin.ping());
        }
    }
}
