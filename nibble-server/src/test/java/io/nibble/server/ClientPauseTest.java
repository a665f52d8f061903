package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.args.ClientPauseMode;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static io.nibble.server.RawReplies.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CLIENT PAUSE as Redis 7 does it: commands that arrive during a pause (all of them, or only writes) wait for its
 * end or for CLIENT UNPAUSE, then run in order; nothing is lost or run twice.
 */
class ClientPauseTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2);

    @Test
    void aWritePauseHoldsWritesAndLetsReadsThrough() throws Exception {
        try (Jedis admin = SERVER.client(); Jedis writer = SERVER.client()) {
            writer.set("k", "before");
            assertEquals("OK", admin.clientPause(10_000, ClientPauseMode.WRITE));
            assertEquals("before", writer.get("k"), "reads run during a WRITE pause");
            CompletableFuture<String> set = CompletableFuture.supplyAsync(() -> writer.set("k", "after"));
            Thread.sleep(200);
            assertFalse(set.isDone(), "the write waits");
            assertEquals("before", admin.get("k"));
            long start = System.nanoTime();
            assertEquals("OK", admin.clientUnpause(), "UNPAUSE is no write: it runs during a WRITE pause");
            assertEquals("OK", set.get(5, TimeUnit.SECONDS));
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMillis < 1_000, "released soon after UNPAUSE: " + waitedMillis + " ms");
            assertEquals("after", admin.get("k"));
        }
    }

    @Test
    void anAllPauseHoldsEveryCommandUntilItEnds() throws Exception {
        var threads = java.util.concurrent.Executors.newFixedThreadPool(2);
        try (Jedis admin = SERVER.client(); Jedis other = SERVER.client(); Jedis third = SERVER.client()) {
            long start = System.nanoTime();
            assertEquals("OK", admin.clientPause(500));
            CompletableFuture<String> ping = CompletableFuture.supplyAsync(other::ping, threads);
            // As in Redis, in ALL mode even CLIENT UNPAUSE waits for the pause to end.
            CompletableFuture<Long> unpause = CompletableFuture.supplyAsync(() -> {
                third.clientUnpause();
                return System.nanoTime();
            }, threads);
            assertEquals("PONG", ping.get(5, TimeUnit.SECONDS));
            long unpausedMillis = (unpause.get(5, TimeUnit.SECONDS) - start) / 1_000_000;
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMillis >= 490, "answered after " + waitedMillis + " ms");
            assertTrue(unpausedMillis >= 490, "the UNPAUSE itself waited: " + unpausedMillis + " ms");
            assertTrue(other.info("clients").contains("blocked_clients:0\r\n"), other.info("clients"));
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * A held command keeps to CLIENT REPLY however often the pause holds it again, a held QUIT closes once it runs,
     * and CLIENT UNBLOCK does not release a held command (Redis 7.0.15 crashes on that; Valkey answers 0, as here).
     */
    @Test
    void heldCommandsKeepTheirConnectionsRules() throws Exception {
        try (Jedis admin = SERVER.client(); Socket held = new Socket("127.0.0.1", SERVER.port());
             Socket quitter = new Socket("127.0.0.1", SERVER.port())) {
            held.setSoTimeout(10_000);
            quitter.setSoTimeout(10_000);
            held.getOutputStream().write("CLIENT REPLY SKIP\r\n".getBytes(StandardCharsets.US_ASCII)); // no reply
            Thread.sleep(100);
            long start = System.nanoTime();
            assertEquals("OK", admin.clientPause(400));
            // The skipped SET is held past several 50 ms rechecks: its reply must stay dropped, the PING's come alone.
            held.getOutputStream().write("SET skipped 1\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            quitter.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+PONG\r\n", read(held.getInputStream(), 7));
            assertEquals("+OK\r\n", read(quitter.getInputStream(), 5));
            assertEquals(-1, quitter.getInputStream().read(), "closed after the held QUIT ran");
            assertTrue((System.nanoTime() - start) / 1_000_000 >= 390);
            assertEquals("1", admin.get("skipped"), "the skipped SET ran");

            assertEquals("OK", admin.clientPause(10_000, ClientPauseMode.WRITE));
            Jedis writer = SERVER.client();
            long writerId = writer.clientId();
            var background = java.util.concurrent.Executors.newSingleThreadExecutor();
            CompletableFuture<String> set = CompletableFuture.supplyAsync(() -> writer.set("held", "1"), background);
            long deadline = System.currentTimeMillis() + 5_000;
            while (!admin.clientList().contains("id=" + writerId + " ") || !admin.clientList().lines()
                    .anyMatch(l -> l.startsWith("id=" + writerId + " ") && l.contains(" flags=b "))) {
                assertTrue(System.currentTimeMillis() < deadline, admin.clientList());
                Thread.sleep(10);
            }
            assertEquals(0L, admin.clientUnblock(writerId), "a held command is not unblocked");
            assertFalse(set.isDone());
            admin.clientUnpause();
            assertEquals("OK", set.get(5, TimeUnit.SECONDS));
            background.shutdown();
            writer.close();
        }
    }

    /** In a WRITE pause a transaction opens, but queueing a write waits, as in Redis. */
    @Test
    void aWritePauseHoldsQueuedWrites() throws Exception {
        try (Jedis admin = SERVER.client(); Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(10_000);
            assertEquals("OK", admin.clientPause(10_000, ClientPauseMode.WRITE));
            s.getOutputStream().write("MULTI\r\nGET k\r\nSET k 1\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+OK\r\n+QUEUED\r\n", read(s.getInputStream(), 14), "MULTI and the read go through");
            Thread.sleep(150);
            assertEquals(0, s.getInputStream().available(), "the write waits to be queued");
            admin.clientUnpause();
            assertEquals("+QUEUED\r\n", read(s.getInputStream(), 9));
            s.getOutputStream().write("EXEC\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("*2\r\n$-1\r\n+OK\r\n", read(s.getInputStream(), 14));
        }
    }


    /**
     * Clients pipeline INCRs and reads while another pauses and unpauses at random, in both modes: every increment
     * lands once, every reply matches its request, and no connection stays blocked.
     */
    @Test
    void incrementsThroughPausesAreExact() throws Exception {
        int clients = 4;
        long end = System.currentTimeMillis() + 2_000;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong pauses = new AtomicLong();
        Thread pauser = Thread.ofPlatform().start(() -> {
            SplittableRandom random = new SplittableRandom(11);
            try (Jedis j = SERVER.client()) {
                while (!stop.get()) {
                    if (random.nextBoolean()) {
                        j.clientPause(1 + random.nextInt(30),
                                random.nextBoolean() ? ClientPauseMode.WRITE : ClientPauseMode.ALL);
                        pauses.incrementAndGet();
                    } else {
                        j.clientUnpause();
                    }
                    Thread.sleep(random.nextInt(20));
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        List<Thread> threads = new ArrayList<>();
        long[] counts = new long[clients];
        for (int c = 0; c < clients; c++) {
            int id = c;
            threads.add(Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(id);
                try (Jedis j = SERVER.client()) {
                    while (System.currentTimeMillis() < end) {
                        Pipeline p = j.pipelined();
                        List<redis.clients.jedis.Response<Long>> incrs = new ArrayList<>();
                        int batch = 1 + random.nextInt(10);
                        for (int i = 0; i < batch; i++) {
                            incrs.add(p.incr("pause:own:" + id));
                            p.incr("pause:shared");
                        }
                        p.sync();
                        for (redis.clients.jedis.Response<Long> incr : incrs) {
                            assertEquals(++counts[id], incr.get(), "client " + id + ": replies in order, each once");
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join(60_000);
            assertFalse(t.isAlive(), "a client is stuck");
        }
        stop.set(true);
        pauser.join(10_000);
        assertNull(failure.get(), () -> "failed: " + failure.get());
        try (Jedis j = SERVER.client()) {
            j.clientUnpause();
            long total = 0;
            for (int c = 0; c < clients; c++) {
                assertEquals(counts[c], Long.parseLong(j.get("pause:own:" + c)));
                total += counts[c];
            }
            assertEquals(total, Long.parseLong(j.get("pause:shared")), "every INCR counted once");
            assertTrue(pauses.get() > 10, "paused " + pauses.get() + " times");
            long deadline = System.currentTimeMillis() + 2_000;
            while (!j.info("clients").contains("blocked_clients:0\r\n") && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(j.info("clients").contains("blocked_clients:0\r\n"), j.info("clients"));
        }
    }

    /** A running pause is only lengthened or widened, never shortened or narrowed; one that ran out is cleared. */
    @Test
    void pausesOnlyGrowWhileTheyRun() throws Exception {
        ClientPause pause = new ClientPause();
        assertFalse(pause.active());
        long now = System.currentTimeMillis();
        pause.pause(now + 10_000, false);
        assertTrue(pause.delayMillis(true) > 0, "a write waits");
        assertEquals(0, pause.delayMillis(false), "a read does not");
        pause.pause(now + 100, true);
        assertTrue(pause.delayMillis(false) > 0, "widened to every command");
        Thread.sleep(150);
        assertTrue(pause.delayMillis(false) > 0, "but not shortened");
        pause.unpause();
        assertFalse(pause.active());
        assertEquals(0, pause.delayMillis(true));
        pause.pause(System.currentTimeMillis() + 30, false);
        Thread.sleep(60);
        assertEquals(0, pause.delayMillis(true), "ran out");
        assertFalse(pause.active(), "and cleared");
        pause.pause(System.currentTimeMillis() + 10_000, false);
        assertEquals(0, pause.delayMillis(false), "a new pause takes its own mode once the last ran out");
        assertTrue(pause.delayMillis(true) <= ClientPause.RECHECK_MILLIS, "a waiting command looks again soon");
    }
}
