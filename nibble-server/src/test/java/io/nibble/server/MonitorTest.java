package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MONITOR under load: monitors come and go while clients write from several threads. Every fed line is well formed,
 * the writes stay exact, and a monitor that stops reading is disconnected instead of growing server memory.
 */
class MonitorTest {
    /** A small output limit, so that a monitor that does not read is cut off quickly. */
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2, config -> config.maxOutputBuffer = 256 << 10);

    private static final Pattern LINE =
            Pattern.compile("\\+\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:\\d+\\]( \"(\\\\.|[^\"\\\\])*\")+");

    @Test
    void monitorsComingAndGoingUnderLoadSeeWellFormedLines() throws Exception {
        int writers = 4;
        int perWriter = 3000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong linesSeen = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int id = w;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Jedis j = SERVER.client()) {
                    for (int i = 0; i < perWriter; i++) {
                        j.incr("counter:" + (i % 3));
                        j.set("value:" + id, "v \"" + i + "\"\n");
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (int m = 0; m < 3; m++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int round = 0; round < 5; round++) {
                        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
                            s.setSoTimeout(30_000); // a monitor that gets no more lines fails instead of hanging
                            s.getOutputStream().write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
                            BufferedReader in = new BufferedReader(
                                    new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                            assertEquals("+OK", in.readLine());
                            for (int i = 0; i < 500; i++) {
                                String line = in.readLine();
                                assertTrue(line != null && LINE.matcher(line).matches(), "malformed: " + line);
                                linesSeen.incrementAndGet();
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (Thread t : threads) {
            t.join(120_000);
        }
        assertNull(failure.get(), () -> "failure: " + failure.get());
        try (Jedis j = SERVER.client()) {
            long total = 0;
            for (int k = 0; k < 3; k++) {
                total += Long.parseLong(j.get("counter:" + k));
            }
            assertEquals((long) writers * perWriter, total, "every INCR counted once");
        }
        assertTrue(linesSeen.get() >= 3 * 5 * 500, "monitors saw " + linesSeen.get() + " lines");
    }

    @Test
    void aMonitorThatStopsReadingIsDisconnected() throws Exception {
        try (Socket stalled = new Socket("127.0.0.1", SERVER.port()); Jedis j = SERVER.client()) {
            OutputStream control = stalled.getOutputStream();
            control.write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            control.flush();
            for (int wait = 0; wait < 100 && j.clientList().lines().noneMatch(l -> l.contains("flags=O")); wait++) {
                Thread.sleep(20);
            }
            assertTrue(j.clientList().contains("flags=O"), "the monitor is listed before the load");
            String big = "x".repeat(8192);
            boolean cutOff = false;
            for (int i = 0; i < 20_000 && !cutOff; i++) {
                j.set("k", big);
                if (i % 100 == 99) {
                    cutOff = j.clientList().lines().noneMatch(l -> l.contains("flags=O"));
                }
            }
            assertTrue(cutOff, "the monitor that did not read is gone from CLIENT LIST");
            assertEquals("PONG", j.ping(), "the server keeps serving");
            // The stalled socket reads what was sent before the cut, then the end of the stream.
            stalled.setSoTimeout(10_000);
            byte[] buffer = new byte[1 << 16];
            while (stalled.getInputStream().read(buffer) >= 0) {
                // draining
            }
        }
    }
}
