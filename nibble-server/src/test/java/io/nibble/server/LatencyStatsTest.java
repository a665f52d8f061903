package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-command latency histograms: INFO latencystats, LATENCY HISTOGRAM and the latency monitor's subcommands. */
class LatencyStatsTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2);

    @RegisterExtension
    static final RunningServer UNTRACKED = new RunningServer(64L << 20, 1, config -> config.latencyTracking = false);

    /**
     * Redis's bucket labels: bounds doubling from 1,024 ns, shown as the top of the bound's slot in microseconds; the
     * last is the top of the histogram's last slot, 2^30 - 1 ns.
     */
    private static final List<Long> REDIS_LABELS = List.of(1L, 2L, 4L, 8L, 16L, 33L, 66L, 132L, 264L, 528L, 1056L,
            2113L, 4227L, 8454L, 16908L, 33816L, 67633L, 135266L, 270532L, 541065L, 1073741L);

    private static final CommandTable.Command GET = CommandTable.lookup("GET");
    private static final CommandTable.Command SET = CommandTable.lookup("SET");
    private static final CommandTable.Command INCR = CommandTable.lookup("INCR");

    /**
     * Writers record on their own threads while a reader keeps draining them into reports: no call may be lost or
     * counted twice between a thread's recorder and the totals, and each histogram stays cumulative.
     */
    @Test
    void concurrentRecordingLosesNoCallAcrossReports() throws Exception {
        LatencyStats stats = new LatencyStats();
        int writers = 4;
        int callsEach = 40_000;
        CommandTable.Command[] commands = {GET, SET, INCR};
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger reports = new AtomicInteger();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                while (!done.get() || reports.get() < 10) {
                    reports.incrementAndGet();
                    ByteBuf out = Unpooled.buffer();
                    stats.writeHistograms(out, null, 2);
                    checkCumulative(parse(out));
                    out.release();
                    stats.appendInfo(new StringBuilder());
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            threads.add(Thread.ofPlatform().start(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int i = 0; i < callsEach; i++) {
                    // Spread over the whole range, beyond 1 s included, which counts as 1 s.
                    long nanos = (long) Math.pow(10, random.nextDouble(0, 9.5));
                    stats.record(commands[i % commands.length], nanos);
                }
            }));
        }
        for (Thread t : threads) {
            t.join(60_000);
            assertFalse(t.isAlive(), "a writer is stuck");
        }
        int reportsWhileWriting = reports.get();
        done.set(true);
        reader.join(60_000);
        assertFalse(reader.isAlive(), "the reader is stuck");
        if (failure.get() != null) {
            throw new AssertionError("reader failed", failure.get());
        }
        assertTrue(reportsWhileWriting > 1, "reports ran while writers recorded: " + reportsWhileWriting);
        ByteBuf out = Unpooled.buffer();
        stats.writeHistograms(out, null, 2);
        Map<String, long[]> histograms = parse(out);
        out.release();
        checkCumulative(histograms);
        for (int k = 0; k < commands.length; k++) {
            long[] h = histograms.get(commands[k].fullName());
            long expected = (long) writers * ((callsEach - k + commands.length - 1) / commands.length);
            assertEquals(expected, h[0], commands[k].fullName() + ": every call counted exactly once");
            assertEquals(h[0], h[h.length - 1], commands[k].fullName() + ": the last bucket holds every call");
        }
    }

    /**
     * Known call times land in the buckets Redis would put them in: a bucket counts every call up to the top of its
     * bound's slot (1,031 ns for the bound 1,024, shown as 1), and calls of a second or more sit in the last one.
     * Percentiles take the call whose rank rounds to nearest, as Redis's C histogram does.
     */
    @Test
    void bucketsAndPercentilesMatchRedisForKnownTimes() {
        LatencyStats stats = new LatencyStats();
        for (long nanos : new long[] {1000, 1024, 1031, 1032, 2063, 2064, 600_000_000L, 2_000_000_000L}) {
            stats.record(GET, nanos);
        }
        ByteBuf out = Unpooled.buffer();
        stats.writeHistograms(out, List.of(GET), 2);
        assertEquals("*2\r\n$3\r\nget\r\n*4\r\n$5\r\ncalls\r\n:8\r\n$14\r\nhistogram_usec\r\n*8\r\n"
                + ":1\r\n:3\r\n:2\r\n:5\r\n:4\r\n:6\r\n:1073741\r\n:8\r\n", out.toString(StandardCharsets.US_ASCII));
        out.release();
        StringBuilder info = new StringBuilder();
        stats.appendInfo(info);
        // p50: the 4th of 8 calls, 1,032 ns, whose slot ends at 1,039; p99: the clamped 1 s, in the slot ending at
        // 1,002,438,655 ns.
        assertEquals("latency_percentiles_usec_get:p50=1.039,p99=1002438.655,p99.9=1002438.655\r\n", info.toString());

        LatencyStats rounding = new LatencyStats();
        for (int i = 0; i < 160; i++) {
            rounding.record(SET, i < 158 ? 1000 : 5000);
        }
        StringBuilder line = new StringBuilder();
        rounding.appendInfo(line);
        // p99 of 160 calls is rank 158.4: Redis rounds to 158 (1,000 ns), rounding up would give 159 (5,000 ns).
        assertTrue(line.toString().contains("p99=1.003,"), line.toString());
    }

    @Test
    void infoAndHistogramDescribeTheCallsMade() {
        try (Jedis j = SERVER.client()) {
            j.configResetStat();
            for (int i = 0; i < 200; i++) {
                j.set("k" + i, "v");
            }
            for (int i = 0; i < 300; i++) {
                j.get("k" + i);
            }
            String info = j.info("latencystats");
            assertTrue(info.startsWith("# Latencystats\r\n"), info);
            Map<String, double[]> percentiles = percentiles(info);
            for (String name : List.of("get", "set")) {
                double[] p = percentiles.get(name);
                assertTrue(p != null && p[0] > 0 && p[0] <= p[1] && p[1] <= p[2], name + ": " + info);
            }
            assertFalse(j.info().contains("# Latencystats"), "not a default section, as in Redis");
            assertTrue(j.info("all").contains("latency_percentiles_usec_get:"));

            Map<String, long[]> histograms = histogram(j, "set", "nosuch", "get", "client");
            assertEquals(List.of("set", "get"), List.copyOf(histograms.keySet()), "called commands only, in order");
            assertEquals(List.of("config|resetstat"), List.copyOf(histogram(j, "config").keySet()),
                    "a container stands for its subcommands");
            assertEquals(300, histograms.get("get")[0]);
            assertEquals(200, histograms.get("set")[0]);
            checkCumulative(histograms);
            assertTrue(histogram(j, "nosuch").isEmpty());
            assertTrue(histogram(j).containsKey("config|resetstat"), "no names: every command called");

            j.configResetStat();
            assertNull(histogram(j).get("get"), "CONFIG RESETSTAT starts the histograms again");
            assertFalse(j.info("latencystats").contains("latency_percentiles_usec_get:"));
        }
    }

    @Test
    void theLatencyMonitorAnswersAsRedisDoesWithItOff() throws Exception {
        try (Jedis j = SERVER.client()) {
            assertEquals(List.of(), call(j, "LATENCY", "LATEST"));
            assertEquals(List.of(), call(j, "LATENCY", "HISTORY", "command"));
            assertEquals(0L, call(j, "LATENCY", "RESET", "command"));
            JedisDataException graph = assertThrows(JedisDataException.class,
                    () -> j.sendCommand(raw("LATENCY"), "GRAPH", "command"));
            assertEquals("ERR No samples available for event 'command'", graph.getMessage());
            assertTrue(new String((byte[]) call(j, "LATENCY", "DOCTOR"), StandardCharsets.UTF_8)
                    .startsWith("I'm sorry, Dave"));
        }
        // RESP3 sends text for people as a verbatim string, as Redis does.
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write("HELLO 3\r\n".getBytes(StandardCharsets.US_ASCII));
            readUntil(in, "modules\r\n*0\r\n");
            out.write("LATENCY DOCTOR\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = readUntil(in, "latency-monitor.\n\r\n");
            assertTrue(reply.startsWith("=292\r\ntxt:I'm sorry"), reply);
        }
    }

    @Test
    void trackingCanBeTurnedOff() {
        try (Jedis j = UNTRACKED.client()) {
            j.set("a", "1");
            j.get("a");
            assertEquals("# Latencystats\r\n", j.info("latencystats").trim() + "\r\n");
            assertTrue(histogram(j).isEmpty());
            assertEquals("no", j.configGet("latency-tracking").get("latency-tracking"));
        }
    }

    /** Each histogram: {calls, labels' counts...}; every label is one of Redis's and counts only grow. */
    private static void checkCumulative(Map<String, long[]> histograms) {
        histograms.forEach((name, h) -> {
            for (int i = 2; i < h.length; i++) {
                assertTrue(h[i] > h[i - 1], name + ": cumulative counts must grow");
            }
            assertTrue(h[h.length - 1] <= h[0], name);
        });
    }

    /** LATENCY HISTOGRAM as name to {calls, cumulative counts...}, checking each label on the way. */
    @SuppressWarnings("unchecked")
    private static Map<String, long[]> histogram(Jedis j, String... names) {
        List<Object> reply = (List<Object>) j.sendCommand(raw("LATENCY"), prepend("HISTOGRAM", names));
        Map<String, long[]> result = new LinkedHashMap<>();
        for (int i = 0; i < reply.size(); i += 2) {
            List<Object> fields = (List<Object>) reply.get(i + 1);
            assertEquals("calls", new String((byte[]) fields.get(0), StandardCharsets.UTF_8));
            List<Object> buckets = (List<Object>) fields.get(3);
            long[] h = new long[1 + buckets.size() / 2];
            h[0] = (Long) fields.get(1);
            for (int b = 0; b < buckets.size(); b += 2) {
                assertTrue(REDIS_LABELS.contains((Long) buckets.get(b)), "label " + buckets.get(b));
                h[1 + b / 2] = (Long) buckets.get(b + 1);
            }
            result.put(new String((byte[]) reply.get(i), StandardCharsets.UTF_8), h);
        }
        return result;
    }

    /** Parses RESP2 output of {@link LatencyStats#writeHistograms} the same way. */
    private static Map<String, long[]> parse(ByteBuf out) {
        String[] lines = out.toString(StandardCharsets.US_ASCII).split("\r\n");
        Map<String, long[]> result = new LinkedHashMap<>();
        int i = 1; // past the outer array header
        while (i < lines.length) {
            String name = lines[i + 1];
            long calls = Long.parseLong(lines[i + 5].substring(1));
            int pairs = Integer.parseInt(lines[i + 8].substring(1)) / 2;
            long[] h = new long[1 + pairs];
            h[0] = calls;
            for (int b = 0; b < pairs; b++) {
                assertTrue(REDIS_LABELS.contains(Long.parseLong(lines[i + 9 + 2 * b].substring(1))));
                h[1 + b] = Long.parseLong(lines[i + 10 + 2 * b].substring(1));
            }
            result.put(name, h);
            i += 9 + 2 * pairs;
        }
        return result;
    }

    private static Map<String, double[]> percentiles(String info) {
        Map<String, double[]> found = new LinkedHashMap<>();
        Matcher m = Pattern.compile("latency_percentiles_usec_([^:]+):p50=(\\d+\\.\\d{3}),p99=(\\d+\\.\\d{3}),"
                + "p99\\.9=(\\d+\\.\\d{3})\r\n").matcher(info);
        while (m.find()) {
            found.put(m.group(1), new double[] {Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                    Double.parseDouble(m.group(4))});
        }
        return found;
    }

    private static String[] prepend(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static Object call(Jedis j, String name, String... args) {
        return j.sendCommand(raw(name), args);
    }

    private static ProtocolCommand raw(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        return () -> bytes;
    }

    private static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("connection closed after: " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }
}
