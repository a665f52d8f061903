package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MULTI/EXEC isolation from other clients and WATCH's optimistic checks, through Jedis. */
class TransactionTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2, config -> config.maxQueuedBytes = 8192);

    private static Jedis client() {
        return SERVER.client();
    }

    @Test
    void watchAbortsExecOnlyWhenAWatchedKeyChanged() throws Exception {
        try (Jedis j = client(); Jedis other = client()) {
            j.set("k", "1");
            assertEquals("OK", j.watch("k"));
            other.set("k", "theirs");
            Transaction t = j.multi();
            t.set("k", "mine");
            assertNull(t.exec(), "another client's write to a watched key aborts EXEC");
            assertEquals("theirs", j.get("k"));

            j.watch("k", "absent");
            other.set("unrelated", "x");
            t = j.multi();
            t.set("k", "mine");
            t.get("k");
            assertEquals(List.of("OK", "mine"), t.exec());

            j.watch("k");
            j.set("k", "own write");
            t = j.multi();
            t.get("k");
            assertNull(t.exec(), "the watching client's own write counts too");

            j.watch("absent");
            other.set("absent", "created");
            t = j.multi();
            t.get("absent");
            assertNull(t.exec(), "creating a watched key counts");

            j.watch("k");
            other.flushAll();
            t = j.multi();
            t.get("k");
            assertNull(t.exec(), "FLUSHALL removing a watched key changes it");

            j.watch("absent");
            other.set("k", "v");
            other.flushAll();
            t = j.multi();
            t.get("absent");
            assertEquals(java.util.Collections.singletonList(null), t.exec(),
                    "as in Redis, FLUSHALL leaves a WATCH on a key that did not exist");

            j.set("k", "v");
            j.watch("k");
            t = other.multi();
            t.sendCommand(Protocol.Command.FLUSHDB, "SYNC");
            t.get("k");
            List<Object> flushed = t.exec();
            assertEquals(2, flushed.size());
            assertNull(flushed.get(1), "the key is gone within the transaction");
            t = j.multi();
            t.get("k");
            assertNull(t.exec(), "a FLUSHDB inside another client's EXEC changes the watched key too");

            j.set("k", "v");
            j.watch("k");
            assertEquals("ERR syntax error",
                    org.junit.jupiter.api.Assertions.assertThrows(JedisDataException.class,
                            () -> other.sendCommand(Protocol.Command.FLUSHALL, "LATER")).getMessage());
            t = j.multi();
            t.get("k");
            assertEquals(List.of("v"), t.exec(), "a refused FLUSHALL changes nothing");

            j.set("k", "v");
            j.watch("k");
            assertEquals("OK", j.unwatch());
            other.set("k", "after unwatch");
            t = j.multi();
            t.get("k");
            assertEquals(List.of("after unwatch"), t.exec());

            j.watch("k");
            t = j.multi();
            t.discard();
            other.set("k", "after discard");
            t = j.multi();
            t.get("k");
            assertEquals(List.of("after discard"), t.exec(), "DISCARD forgets the watched keys");

            j.set("short", "v", redis.clients.jedis.params.SetParams.setParams().px(150));
            j.set("long", "v");
            j.watch("short", "long");
            Thread.sleep(300);
            t = j.multi();
            t.get("long");
            assertNull(t.exec(), "a watched key that expired counts as changed");
        }
    }

    /** As in Redis, a write that changes nothing, or fails, leaves a WATCH intact; a real change still breaks it. */
    @Test
    @SuppressWarnings("deprecation") // SETNX is deprecated in Redis but still served
    void writesThatChangeNothingKeepAWatch() {
        try (Jedis j = client(); Jedis other = client()) {
            j.set("present", "1");
            j.set("counter", "text");
            assertEquals("OK", j.watch("missing", "present", "counter"));
            assertEquals(0, other.del("missing"));
            assertEquals(0, other.setnx("present", "2"));
            assertEquals(0, other.expire("missing", 100));
            assertEquals(0, other.persist("present"));
            assertNull(other.getDel("missing"));
            assertThrows(JedisDataException.class, () -> other.incr("counter"));
            assertEquals(0, other.del("missing", "elsewhere:1", "elsewhere:2"));
            other.set("elsewhere:3", "x");
            assertEquals(1, other.del("missing", "elsewhere:3"), "removes a key that shares the DEL, not a watched one");
            assertFalse(other.copy("missing", "elsewhere:4", false), "COPY from a missing key writes nothing");
            assertTrue(other.copy("present", "elsewhere:5", false), "COPY only reads its source");
            Transaction t = j.multi();
            t.get("present");
            assertEquals(List.of("1"), t.exec(), "none of those writes changed a watched key");

            j.watch("present");
            Transaction quiet = other.multi();
            quiet.setnx("present", "3");
            quiet.get("present");
            quiet.del("missing");
            assertEquals(List.of(0L, "1", 0L), quiet.exec());
            t = j.multi();
            t.get("present");
            assertEquals(List.of("1"), t.exec(), "another client's EXEC that changed nothing keeps the WATCH");

            j.watch("present");
            other.setnx("present", "2");
            other.set("present", "2");
            t = j.multi();
            t.get("present");
            assertNull(t.exec(), "a real change still aborts");
        }
    }

    @Test
    void watchInsideMultiIsRefusedAndOversizedTransactionsAbort() {
        try (Jedis j = client()) {
            j.sendCommand(Protocol.Command.MULTI);
            JedisDataException e = assertThrows(JedisDataException.class,
                    () -> j.sendCommand(Protocol.Command.WATCH, "k"));
            assertTrue(e.getMessage().contains("WATCH inside MULTI"), e.getMessage());
            j.sendCommand(Protocol.Command.SET, "k", "v");
            // As in Redis 7: the refused WATCH does not doom the transaction, which runs without it.
            assertEquals(1, ((List<?>) j.sendCommand(Protocol.Command.EXEC)).size());
            assertEquals("v", j.get("k"));

            // The test server queues at most 8 KiB of arguments per transaction.
            Transaction t = j.multi();
            t.set("a", "x".repeat(3000));
            t.set("b", "y".repeat(3000));
            t.set("c", "z".repeat(3000));
            JedisDataException tooBig = assertThrows(JedisDataException.class, t::exec);
            assertTrue(tooBig.getMessage().startsWith("EXECABORT"), tooBig.getMessage());
            assertNull(j.get("a"), "nothing of an aborted transaction runs");
            assertEquals("PONG", j.ping(), "the connection keeps serving");
        }
    }

    /**
     * The classic optimistic increment, WATCH, GET, MULTI, SET, EXEC and retry on abort, from several clients on a
     * few keys. A lost update (a WATCH that misses a write, or a write slipping in between EXEC's check and its SET)
     * leaves a counter short of the number of EXECs that succeeded.
     */
    @Test
    void optimisticIncrementsThroughWatchAreExact() throws Exception {
        int clients = 6;
        int perClient = 250;
        int keys = 3;
        AtomicLong aborts = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            threads[c] = Thread.ofPlatform().start(() -> {
                try (Jedis j = client()) {
                    for (int done = 0; done < perClient; ) {
                        String key = "n" + ThreadLocalRandom.current().nextInt(keys);
                        j.watch(key);
                        String v = j.get(key);
                        long next = (v == null ? 0 : Long.parseLong(v)) + 1;
                        Transaction t = j.multi();
                        t.set(key, Long.toString(next));
                        if (t.exec() == null) {
                            aborts.incrementAndGet();
                        } else {
                            done++;
                        }
                    }
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
            for (int k = 0; k < keys; k++) {
                String v = j.get("n" + k);
                total += v == null ? 0 : Long.parseLong(v);
            }
            assertEquals((long) clients * perClient, total, "aborted attempts: " + aborts.get());
        }
    }

    /**
     * Transactions that move a random amount from one account to another, against readers that MGET all accounts:
     * every read must see the total unchanged, so no reader ever sees half of a transaction, and the final balances
     * must add up to the number of transfers each account took part in.
     */
    @Test
    void readersNeverSeeHalfATransaction() throws Exception {
        int accounts = 4;
        long initial = 1_000_000;
        try (Jedis j = client()) {
            for (int a = 0; a < accounts; a++) {
                j.set("acct" + a, Long.toString(initial));
            }
        }
        int writers = 3;
        int transfers = 600;
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] moved = new long[accounts];
        Thread[] threads = new Thread[writers + 2];
        for (int w = 0; w < writers; w++) {
            threads[w] = Thread.ofPlatform().unstarted(() -> {
                try (Jedis j = client()) {
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < transfers; i++) {
                        int from = random.nextInt(accounts);
                        int to = (from + 1 + random.nextInt(accounts - 1)) % accounts;
                        long amount = 1 + random.nextInt(1000);
                        Transaction t = j.multi();
                        t.decrBy("acct" + from, amount);
                        t.incrBy("acct" + to, amount);
                        assertNotNull(t.exec());
                        synchronized (moved) {
                            moved[from] -= amount;
                            moved[to] += amount;
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
        }
        String[] names = new String[accounts];
        for (int a = 0; a < accounts; a++) {
            names[a] = "acct" + a;
        }
        for (int r = writers; r < threads.length; r++) {
            threads[r] = Thread.ofPlatform().unstarted(() -> {
                try (Jedis j = client()) {
                    while (writing.get()) {
                        long sum = 0;
                        for (String v : j.mget(names)) {
                            sum += Long.parseLong(v);
                        }
                        assertEquals(accounts * initial, sum, "an MGET saw a transfer half done");
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
        for (int w = 0; w < writers; w++) {
            threads[w].join();
        }
        writing.set(false);
        for (int r = writers; r < threads.length; r++) {
            threads[r].join();
        }
        assertNull(failure.get(), () -> "client failed: " + failure.get());
        assertTrue(reads.get() > 0, "the readers ran");
        try (Jedis j = client()) {
            for (int a = 0; a < accounts; a++) {
                assertEquals(initial + moved[a], Long.parseLong(j.get(names[a])), names[a]);
            }
        }
    }

    /**
     * Without MULTI or WATCH (so commands skip the key locks), MSET and DEL of several keys must still be seen whole
     * by MGET: each MSET writes one stamp into all keys of a group, and each DEL removes the whole group.
     */
    @Test
    void mgetSeesMsetAndMultiKeyDelWhole() throws Exception {
        String[] group = {"pair:a", "pair:b", "pair:c"};
        int writes = 3000;
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] threads = new Thread[4];
        for (int w = 0; w < 2; w++) {
            final int writer = w;
            threads[w] = Thread.ofPlatform().unstarted(() -> {
                try (Jedis j = client()) {
                    for (int i = 0; i < writes; i++) {
                        if (i % 10 == 9) {
                            j.del(group);
                        } else {
                            String stamp = writer + ":" + i;
                            j.mset(group[0], stamp, group[1], stamp, group[2], stamp);
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
                    while (writing.get()) {
                        List<String> got = j.mget(group);
                        assertEquals(1, new java.util.HashSet<>(got).size(), "an MGET saw part of a write: " + got);
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
        writing.set(false);
        threads[2].join();
        threads[3].join();
        assertNull(failure.get(), () -> "client failed: " + failure.get());
        assertTrue(reads.get() > 100, "the readers ran: " + reads.get());
    }
}
