package io.nibble.server;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections moved between event loops while clients pipeline commands, some of them WAITs that block the connection
 * for a moment and some of those ended early by CLIENT UNBLOCK: nothing is lost, reordered or mixed up.
 */
class ElasticLoopsTest {

    /** A value unique to its client, key and version, so a reply meant for another request cannot pass. */
    private static byte[] value(int client, int key, long version, int length) {
        byte[] v = new byte[length];
        new SplittableRandom(((long) client << 40) ^ ((long) key << 20) ^ version).nextBytes(v);
        return v;
    }

    @Test
    void connectionsMovedMidStreamKeepEveryReplyInOrder() throws Exception {
        try (NibbleServer server = TestServers.start(64L << 20, 3)) {
            int clients = 6;
            int rounds = 400;
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong moves = new AtomicLong();
            AtomicLong increments = new AtomicLong();
            Thread mover = Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(5);
                try {
                    while (!stop.get()) {
                        moves.addAndGet(server.loops().resize(1 + random.nextInt(3)));
                        LockSupport.parkNanos(random.nextLong(2_000_000));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            AtomicLong unblocked = new AtomicLong();
            Thread unblocker = Thread.ofPlatform().start(() -> {
                try (Jedis j = new Jedis("127.0.0.1", server.port())) {
                    while (!stop.get()) {
                        for (String line : j.clientList().split("\n")) {
                            if (line.contains(" flags=b ")) {
                                long id = Long.parseLong(line.substring(3, line.indexOf(' ')));
                                unblocked.addAndGet(j.clientUnblock(id));
                            }
                        }
                        LockSupport.parkNanos(1_000_000);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                final int id = c;
                threads.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom random = new SplittableRandom(id);
                    long[] versions = new long[32];
                    byte[][] current = new byte[versions.length][];
                    try (Jedis j = new Jedis("127.0.0.1", server.port())) {
                        for (int round = 0; round < rounds; round++) {
                            Pipeline p = j.pipelined();
                            List<Response<byte[]>> gets = new ArrayList<>();
                            List<byte[]> expected = new ArrayList<>();
                            List<Response<Long>> waits = new ArrayList<>();
                            int batch = 1 + random.nextInt(40);
                            for (int i = 0; i < batch; i++) {
                                int key = random.nextInt(versions.length);
                                byte[] k = ("c" + id + ":" + key).getBytes(StandardCharsets.UTF_8);
                                switch (random.nextInt(random.nextInt(8) == 0 ? 4 : 3)) {
                                    case 0 -> {
                                        versions[key]++;
                                        current[key] = value(id, key, versions[key], random.nextInt(3000));
                                        p.set(k, current[key]);
                                    }
                                    case 1 -> {
                                        p.incr("shared:" + random.nextInt(4));
                                        increments.incrementAndGet();
                                    }
                                    case 2 -> {
                                        gets.add(p.get(k));
                                        expected.add(current[key]);
                                    }
                                    default -> waits.add(p.waitReplicas(1, 1 + random.nextInt(20)));
                                }
                            }
                            p.sync();
                            for (Response<Long> wait : waits) {
                                assertEquals(0L, wait.get(), "no replica ever acknowledges");
                            }
                            for (int g = 0; g < gets.size(); g++) {
                                assertArrayEquals(expected.get(g), gets.get(g).get(), "client " + id + ", round "
                                        + round + ", reply " + g);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            stop.set(true);
            mover.join();
            unblocker.join();
            assertNull(failure.get(), () -> "client failed: " + failure.get());
            assertTrue(moves.get() > 100, "connections moved " + moves.get() + " times");
            try (Jedis j = new Jedis("127.0.0.1", server.port())) {
                long total = 0;
                for (int k = 0; k < 4; k++) {
                    String v = j.get("shared:" + k);
                    total += v == null ? 0 : Long.parseLong(v);
                }
                assertEquals(increments.get(), total, "every INCR counted once");
                assertTrue(j.info("clients").contains("blocked_clients:0\r\n"), j.info("clients"));
                System.out.println("ElasticLoopsTest: " + moves.get() + " moves, " + unblocked.get()
                        + " waits ended by CLIENT UNBLOCK");
                String info = j.info("server");
                assertTrue(info.contains("io_threads:3"), info);
                int activeNow = server.loops().active();
                assertTrue(info.contains("io_threads_active:" + activeNow), info);
            }
        }
    }

    @Test
    void anIdleElasticServerServesFromOneLoopAndAFixedOneFromAll() throws Exception {
        try (NibbleServer elastic = TestServers.start(16L << 20, 3);
             NibbleServer fixed = TestServers.start(16L << 20, 3, c -> c.elasticLoops = false)) {
            for (NibbleServer server : List.of(elastic, fixed)) {
                List<Jedis> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 6; i++) {
                        Jedis j = new Jedis("127.0.0.1", server.port());
                        assertEquals("PONG", j.ping());
                        clients.add(j);
                    }
                    int expected = server == elastic ? 1 : 3;
                    assertEquals(expected, server.loops().active());
                    assertTrue(clients.get(0).info("server").contains("io_threads_active:" + expected));
                    assertEquals(expected, server.loops().loopsInUse(), "loops holding connections");
                } finally {
                    clients.forEach(Jedis::close);
                }
            }
        }
    }
    /**
     * Connections killed (CLIENT KILL from another connection's thread) or closed by their client while the balancer
     * moves them between loops, some in the middle of an upload that holds part of the input budget, some turned
     * into MONITORs that other threads write to: once they are gone, nothing of them is left, neither in the client
     * count and list nor in the budget.
     */
    @Test
    void connectionsClosedWhileMovingLeaveNothingBehind() throws Exception {
        try (NibbleServer server = TestServers.start(64L << 20, 3);
             Jedis checker = new Jedis("127.0.0.1", server.port())) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread mover = Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(9);
                while (!stop.get()) {
                    server.loops().resize(1 + random.nextInt(3));
                    LockSupport.parkNanos(random.nextLong(300_000));
                }
            });
            java.util.concurrent.LinkedBlockingQueue<Long> toKill = new java.util.concurrent.LinkedBlockingQueue<>();
            AtomicLong kills = new AtomicLong();
            Thread killer = Thread.ofPlatform().start(() -> {
                try (Jedis j = new Jedis("127.0.0.1", server.port())) {
                    while (!stop.get()) {
                        Long id = toKill.poll(10, java.util.concurrent.TimeUnit.MILLISECONDS);
                        if (id != null) {
                            kills.addAndGet(j.clientKill(new redis.clients.jedis.params.ClientKillParams()
                                    .id(Long.toString(id))));
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            AtomicLong connections = new AtomicLong();
            AtomicLong monitors = new AtomicLong();
            List<Thread> victims = new ArrayList<>();
            long end = System.currentTimeMillis() + 3_000;
            for (int v = 0; v < 6; v++) {
                final int seed = v;
                victims.add(Thread.ofPlatform().start(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    try {
                        while (System.currentTimeMillis() < end) {
                            try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
                                s.setSoTimeout(10_000);
                                long id = RawReplies.clientId(s.getOutputStream(), s.getInputStream());
                                connections.incrementAndGet();
                                if (random.nextInt(4) == 0) { // other threads write the feed to it
                                    s.getOutputStream().write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
                                    assertEquals("+OK\r\n", RawReplies.read(s.getInputStream(), 5));
                                    monitors.incrementAndGet();
                                } else if (random.nextBoolean()) { // part of an upload: the decoder holds budget
                                    s.getOutputStream().write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n"
                                            .getBytes(StandardCharsets.US_ASCII));
                                    s.getOutputStream().write(new byte[100_000 + random.nextInt(300_000)]);
                                }
                                LockSupport.parkNanos(random.nextLong(2_000_000));
                                if (random.nextBoolean()) {
                                    toKill.add(id);
                                    try {
                                        s.getInputStream().read(); // the kill closes it
                                    } catch (java.net.SocketException reset) {
                                        // closed with the upload unread: a reset instead of an end of stream
                                    }
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : victims) {
                t.join();
            }
            stop.set(true);
            mover.join();
            killer.join();
            assertNull(failure.get(), () -> "failed: " + failure.get());
            long deadline = System.currentTimeMillis() + 10_000;
            while (!(checker.info("clients").contains("connected_clients:1\r\n")
                    && checker.info("memory").contains("nibble_input_reserved_bytes:0\r\n")
                    && checker.clientList().lines().count() == 1 && server.loops().connections() == 1)
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            String clients = checker.info("clients");
            String memory = checker.info("memory");
            System.out.println("ElasticLoopsTest: " + connections.get() + " connections (" + monitors.get()
                    + " of them monitors), " + kills.get() + " killed, while loops resized");
            assertTrue(connections.get() > 100 && kills.get() > 30, connections.get() + " connections, "
                    + kills.get() + " kills");
            assertTrue(clients.contains("connected_clients:1\r\n"), clients);
            assertTrue(memory.contains("nibble_input_reserved_bytes:0\r\n"), memory);
            assertEquals(1, checker.clientList().lines().count(), checker.clientList());
            assertEquals(1, server.loops().connections(), "the balancer keeps only the checker's connection");
        }
    }
}
