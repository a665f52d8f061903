package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A real Redis client (Jedis 8) against a server started in the test, on loopback. */
@SuppressWarnings("deprecation") // GETSET, SETNX and SETEX are deprecated in Redis but still served
class ServerIntegrationTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2);

    private static Jedis client() {
        return SERVER.client();
    }

    @Test
    void stringsAndCounters() {
        try (Jedis j = client()) {
            assertEquals("PONG", j.ping());
            assertEquals("OK", j.set("k", "v"));
            assertEquals("v", j.get("k"));
            assertNull(j.get("missing"));
            assertEquals("OK", j.mset("a", "1", "b", "2"));
            assertEquals(List.of("1", "2"), j.mget("a", "b"));
            assertEquals(Arrays.asList("1", null), j.mget("a", "nope"));
            assertEquals(2, j.incr("a"));
            assertEquals(12, j.incrBy("a", 10));
            assertEquals(11, j.decr("a"));
            assertEquals(1, j.decrBy("a", 10));
            assertEquals(3.5, j.incrByFloat("f", 3.5));
            assertEquals(3.75, j.incrByFloat("f", 0.25));
            assertThrows(JedisDataException.class, () -> j.incr("k"), "not an integer");
            assertEquals(5, j.append("k", "alue"));
            assertEquals("value", j.get("k"));
            assertEquals(5, j.strlen("k"));
            assertEquals("value", j.getSet("k", "new"));
            assertEquals("new", j.getDel("k"));
            assertFalse(j.exists("k"));
            assertEquals(1, j.setnx("n", "x"));
            assertEquals(0, j.setnx("n", "y"));
            assertEquals(0, j.msetnx("n", "z", "m", "z"));
            assertEquals(1, j.msetnx("p", "z", "q", "z"));
            assertEquals(3, j.exists("n", "p", "q"));
            assertEquals("string", j.type("n"));
            assertEquals("none", j.type("nothing"));
            assertEquals(2, j.del("p", "q", "absent"));
            assertEquals(4, j.dbSize());
            assertNull(j.set("s", "1", SetParams.setParams().xx()), "XX on an absent key stores nothing");
            assertEquals("OK", j.set("s", "0"));
            assertEquals("OK", j.set("s", "1", SetParams.setParams().xx()));
            assertNull(j.set("s2", "1", SetParams.setParams().xx()));
            assertNull(j.set("s", "2", SetParams.setParams().nx()));
            assertEquals("1", j.setGet("s", "3"));
            String memory = j.info("memory");
            assertTrue(memory.contains("nibble_live_bytes:"));
            // As in Redis, used_memory_rss is the whole process's, so it includes the JVM besides the store.
            long rss = infoLong(memory, "used_memory_rss:");
            if (io.nibble.memory.ProcessMemory.residentBytes() >= 0) { // where /proc is absent, it is the store's
                assertTrue(rss > infoLong(memory, "nibble_resident_bytes:") + (16 << 20), memory);
            }
            assertEquals((double) rss / infoLong(memory, "used_memory:"),
                    Double.parseDouble(infoString(memory, "mem_fragmentation_ratio:")), 0.01, memory);
            assertTrue(j.info().contains("redis_version:"));
        }
    }

    @Test
    void expiry() throws Exception {
        try (Jedis j = client()) {
            j.set("t", "v", SetParams.setParams().ex(100));
            long ttl = j.ttl("t");
            assertTrue(ttl > 95 && ttl <= 100, "ttl " + ttl);
            assertTrue(j.pttl("t") > 95_000);
            assertEquals(1, j.persist("t"));
            assertEquals(-1, j.ttl("t"));
            assertEquals(-2, j.ttl("missing"));
            assertEquals(1, j.pexpire("t", 150));
            Thread.sleep(300);
            assertNull(j.get("t"), "expired keys read as absent");
            assertEquals(-2, j.ttl("t"));
            j.set("u", "v");
            j.set("u", "w", SetParams.setParams().keepTtl());
            assertEquals(-1, j.ttl("u"));
            assertEquals(1, j.expire("u", 1000));
            j.set("u", "x");
            assertEquals(-1, j.ttl("u"), "SET without KEEPTTL clears the expiry");
            assertEquals(1, j.expireAt("u", System.currentTimeMillis() / 1000 - 10));
            assertFalse(j.exists("u"), "an expiry in the past deletes the key");
            j.setex("e", 50, "v");
            assertTrue(j.ttl("e") > 45);

            // INFO's expired_keys counts the expired keys removed or written over since CONFIG RESETSTAT.
            j.configResetStat();
            j.set("x", "1", SetParams.setParams().px(30));
            j.set("y", "1", SetParams.setParams().px(30));
            j.set("z", "1", SetParams.setParams().px(30));
            Thread.sleep(60);
            assertTrue(j.info("stats").contains("\r\nexpired_keys:0\r\n"), "reading nothing removes nothing yet");
            j.set("x", "2");
            assertEquals(0, j.del("y", "nothing"), "an expired key deletes as absent");
            assertTrue(j.info("stats").contains("\r\nexpired_keys:2\r\n"), j.info("stats"));
            long keys = j.dbSize();
            assertNull(j.get("z"));
            assertEquals(keys - 1, j.dbSize(), "a read removes the expired key it finds, as Redis does");
            assertTrue(j.info("stats").contains("\r\nexpired_keys:3\r\n"), j.info("stats"));
        }
    }

    @Test
    void scanReturnsEveryKeyAndHonoursMatch() {
        try (Jedis j = client()) {
            for (int i = 0; i < 1500; i++) {
                j.set("user:" + i, "v");
                j.set("other:" + i, "v");
            }
            Set<String> seen = new HashSet<>();
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = j.scan(cursor, new ScanParams().match("user:*").count(100));
                seen.addAll(page.getResult());
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
            assertEquals(1500, seen.size());
            assertTrue(seen.stream().allMatch(k -> k.startsWith("user:")));
            assertEquals(1500, j.keys("other:*").size());
            assertTrue(j.randomKey() != null);
        }
    }

    @Test
    void configReportsSettingsAndRefusesChangesItCannotMake() {
        try (Jedis j = client()) {
            assertEquals(java.util.Map.of("maxmemory", Long.toString(64L << 20)), j.configGet("maxmemory"));
            assertEquals("OK", j.configSet("maxmemory", Long.toString(64L << 20)), "the value it already has");
            JedisDataException e = assertThrows(JedisDataException.class, () -> j.configSet("maxmemory", "1"));
            assertTrue(e.getMessage().contains("start-up"), e.getMessage());
            e = assertThrows(JedisDataException.class, () -> j.configSet("no-such-option", "1"));
            assertTrue(e.getMessage().contains("Unknown option"), e.getMessage());
            assertThrows(JedisDataException.class, j::configRewrite);
            j.get("counted");
            assertEquals("OK", j.configResetStat());
            assertTrue(j.info("stats").contains("total_commands_processed:1\r\n"), j.info("stats"));
        }
    }

    @Test
    void transactionsAndPipelines() {
        try (Jedis j = client()) {
            Transaction t = j.multi();
            t.set("x", "1");
            t.incr("x");
            t.get("x");
            List<Object> results = t.exec();
            assertEquals(3, results.size());
            assertEquals("2", results.get(2));
            Transaction d = j.multi();
            d.set("x", "100");
            d.discard();
            assertEquals("2", j.get("x"));

            Pipeline p = j.pipelined();
            List<Response<String>> gets = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                p.set("p" + i, Integer.toString(i));
                gets.add(p.get("p" + i));
            }
            p.sync();
            for (int i = 0; i < 2000; i++) {
                assertEquals(Integer.toString(i), gets.get(i).get());
            }
        }
    }

    @Test
    void resp3ThroughHello() {
        DefaultJedisClientConfig config = DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).build();
        try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", SERVER.port()), config)) {
            j.set("r3", "v");
            assertEquals("v", j.get("r3"));
            assertNull(j.get("absent"));
            assertEquals(List.of("v"), j.mget("r3"));
        }
    }

    @Test
    void authenticationIsRequiredWhenConfigured() throws Exception {
        try (NibbleServer secured = TestServers.start(64L << 20, 1, c -> c.requirePass = "s3cret");
             Jedis j = new Jedis("127.0.0.1", secured.port())) {
            JedisDataException denied = assertThrows(JedisDataException.class, () -> j.get("k"));
            assertTrue(denied.getMessage().startsWith("NOAUTH"), denied.getMessage());
            assertThrows(JedisDataException.class, () -> j.auth("wrong"));
            assertEquals("OK", j.auth("s3cret"));
            assertEquals("OK", j.set("k", "v"));
        }
    }

    @Test
    void protectedModeRefusesAnOpenNonLoopbackBind() {
        ServerConfig config = new ServerConfig();
        config.bind = "0.0.0.0";
        config.port = 0;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NibbleServer.start(config));
        assertTrue(e.getMessage().contains("protected mode"), e.getMessage());
    }

    /** QUIT answers OK and closes the connection; what was pipelined after it does not run. */
    @Test
    void quitClosesAfterItsReply() throws Exception {
        try (Socket raw = new Socket("127.0.0.1", SERVER.port()); Jedis j = client()) {
            raw.setSoTimeout(10_000);
            OutputStream out = raw.getOutputStream();
            out.write("SET before 1\r\nQUIT\r\nSET after 1\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("+OK\r\n+OK\r\n", readAll(raw.getInputStream()));
            assertEquals("1", j.get("before"));
            assertNull(j.get("after"), "nothing after QUIT runs");
        }
    }

    /** A broken frame closes that connection only; an unknown command keeps it open. */
    @Test
    void protocolErrorsCloseOnlyTheOffendingConnection() throws Exception {
        try (Jedis bystander = client(); Socket raw = new Socket("127.0.0.1", SERVER.port())) {
            bystander.set("still", "here");
            OutputStream out = raw.getOutputStream();
            InputStream in = raw.getInputStream();
            out.write("FOO bar\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String replies = readUntil(in, "+PONG\r\n");
            assertTrue(replies.startsWith("-ERR unknown command 'FOO'"), replies);
            out.write("*2\r\n$3\r\nGET\r\n:7\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String error = readAll(in);
            assertTrue(error.startsWith("-ERR Protocol error"), error);
            assertEquals("here", bystander.get("still"));
        }
    }

    /** CLIENT REPLY OFF silences every reply, errors included, until ON; SKIP silences the next command's. */
    @Test
    void clientReplyOffAndSkipDropReplies() throws Exception {
        try (Socket raw = new Socket("127.0.0.1", SERVER.port())) {
            OutputStream out = raw.getOutputStream();
            InputStream in = raw.getInputStream();
            out.write(("CLIENT REPLY OFF\r\nSET r 1\r\nNOSUCH\r\nCLIENT REPLY SKIP\r\nGET r\r\nCLIENT REPLY ON\r\n"
                    + "GET r\r\nCLIENT REPLY SKIP\r\nSET r 2\r\nGET r\r\nPING\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertEquals("+OK\r\n$1\r\n1\r\n$1\r\n2\r\n+PONG\r\n", readUntil(in, "+PONG\r\n"),
                    "only ON's +OK, the first GET after it, the GET after the skipped SET, and PING");
        }
    }

    /** MONITOR streams every command others run, quoted as Redis quotes them, without passwords or admin commands. */
    @Test
    void monitorStreamsCommandsAsRedisShowsThem() throws Exception {
        try (Socket monitor = new Socket("127.0.0.1", SERVER.port()); Jedis j = client()) {
            OutputStream control = monitor.getOutputStream();
            InputStream feed = monitor.getInputStream();
            control.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            control.flush();
            assertEquals("+OK\r\n", readUntil(feed, "\r\n"));
            j.set("a b".getBytes(StandardCharsets.UTF_8), new byte[] {'x', '"', 'y', '\n', 1});
            j.configGet("maxmemory");
            assertThrows(JedisDataException.class, () -> j.sendCommand(Protocol.Command.AUTH, "not-the-password"),
                    "no password is set; a failed command is shown all the same");
            j.sendCommand(Protocol.Command.HELLO, "2", "AUTH", "default", "secret", "SETNAME", "n");
            j.get("done");
            String lines = readUntil(feed, "\"GET\" \"done\"\r\n");
            String prefix = "\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\] ";
            String[] seen = lines.split("\r\n");
            assertEquals(4, seen.length, lines);
            assertTrue(seen[0].matches(prefix + "\"SET\" \"a b\" \"x\\\\\"y\\\\n\\\\x01\""), seen[0]);
            assertTrue(seen[1].matches(prefix + "\"AUTH\" \"\\(redacted\\)\""), "CONFIG is not shown; " + seen[1]);
            assertTrue(seen[2].matches(prefix + "\"HELLO\" \"2\" \"AUTH\" \"\\(redacted\\)\" \"\\(redacted\\)\" "
                    + "\"SETNAME\" \"n\""), seen[2]);
            control.write("GET x\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            control.flush();
            String own = readUntil(feed, "\"PING\"\r\n");
            assertTrue(own.startsWith("-ERR Replica can't interact with the keyspace\r\n+PONG\r\n+"), own);
        }
    }

    private static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }

    private static String readAll(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }

    /** Many clients INCR the same keys at once; the engine's atomic read-modify-write loses no increment. */
    @Test
    void concurrentIncrementsAreExact() throws Exception {
        int clients = 12;
        int perClient = 1500;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            final int id = c;
            threads[c] = Thread.ofPlatform().start(() -> {
                try (Jedis j = client()) {
                    Pipeline p = j.pipelined();
                    for (int i = 0; i < perClient; i++) {
                        p.incr("counter:" + ((i + id) % 3));
                        if (i % 100 == 99) {
                            p.sync();
                        }
                    }
                    p.sync();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        for (Thread t : threads) {
            t.join();
        }
        assertNull(failure.get(), () -> "client failed: " + failure.get());
        try (Jedis j = client()) {
            long total = 0;
            for (int k = 0; k < 3; k++) {
                total += Long.parseLong(j.get("counter:" + k));
            }
            assertEquals((long) clients * perClient, total);
        }
    }

    /**
     * GET reads values straight into the reply buffer, planning room from the connection's previous value: values
     * whose length needs a header of another width, values far larger than the last one, absent keys, and many
     * replies pipelined into one buffer must all arrive whole and in order.
     */
    @Test
    void getRepliesOfEverySizeArriveWholeWhenPipelined() {
        int[] sizes = {0, 1, 9, 10, 99, 100, 999, 1000, 1024, 65_535, 65_536, 70_000, 250_000, 3, 1024, 0};
        java.util.Random random = new java.util.Random(11);
        try (Jedis j = client()) {
            List<byte[]> values = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                byte[] value = new byte[sizes[i]];
                random.nextBytes(value);
                values.add(value);
                j.set(("size:" + i).getBytes(StandardCharsets.UTF_8), value);
            }
            for (int round = 0; round < 3; round++) {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < sizes.length; i++) {
                    order.add(i);
                }
                java.util.Collections.shuffle(order, random);
                Pipeline p = j.pipelined();
                List<Response<byte[]>> replies = new ArrayList<>();
                for (int i : order) {
                    replies.add(p.get(("size:" + i).getBytes(StandardCharsets.UTF_8)));
                    replies.add(p.get(("absent:" + i).getBytes(StandardCharsets.UTF_8)));
                }
                p.sync();
                for (int n = 0; n < order.size(); n++) {
                    int i = order.get(n);
                    assertArrayEquals(values.get(i), replies.get(2 * n).get(), "value of size " + sizes[i]);
                    assertNull(replies.get(2 * n + 1).get());
                }
                for (int i : order) { // one at a time too: each reply leaves in its own buffer
                    assertArrayEquals(values.get(i), j.get(("size:" + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
    }

    @Test
    void binaryValuesRoundTrip() {
        try (Jedis j = client()) {
            byte[] key = {0, 1, 2, (byte) 0xFF, '\r', '\n'};
            byte[] value = new byte[100_000];
            new java.util.Random(3).nextBytes(value);
            j.set(key, value);
            assertArrayEquals(value, j.get(key));
        }
    }

    private static final class Arrays {
        static List<String> asList(String... values) {
            return java.util.Arrays.asList(values);
        }
    }

    private static String infoString(String info, String field) {
        return info.lines().filter(l -> l.startsWith(field)).map(l -> l.substring(field.length()).trim())
                .findFirst().orElseThrow(() -> new AssertionError(field + " missing from " + info));
    }

    private static long infoLong(String info, String field) {
        return Long.parseLong(infoString(info, field));
    }
}
