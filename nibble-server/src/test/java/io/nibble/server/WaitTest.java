package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.nibble.server.RawReplies.read;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WAIT as Redis answers it with no replicas: 0 at once when no acknowledgement is asked for or inside MULTI, and
 * otherwise after blocking the connection for the timeout, with the commands sent behind it held until then.
 */
class WaitTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2);

    @Test
    void answersAtOnceWhenNothingCanBeAwaitedAndRefusesBadArguments() {
        try (Jedis j = SERVER.client()) {
            assertEquals(0L, j.waitReplicas(0, 0));
            assertEquals(0L, j.waitReplicas(-1, 10_000));
            Transaction t = j.multi();
            t.waitReplicas(3, 0); // inside a transaction nothing blocks
            t.set("after", "wait");
            assertEquals(List.of(0L, "OK"), t.exec());
            assertEquals("ERR value is not an integer or out of range", assertThrows(JedisDataException.class,
                    () -> j.sendCommand(redis.clients.jedis.Protocol.Command.WAIT, "x", "0")).getMessage());
            assertEquals("ERR timeout is negative", assertThrows(JedisDataException.class,
                    () -> j.sendCommand(redis.clients.jedis.Protocol.Command.WAIT, "0", "-1")).getMessage());
            assertEquals("ERR timeout is not an integer or out of range", assertThrows(JedisDataException.class,
                    () -> j.sendCommand(redis.clients.jedis.Protocol.Command.WAIT, "0", "1.5")).getMessage());
        }
    }

    @Test
    void blocksTheConnectionForTheTimeoutAndHoldsBackWhatFollows() throws Exception {
        try (Socket s = new Socket("127.0.0.1", SERVER.port()); Jedis other = SERVER.client()) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long start = System.nanoTime();
            // One write: WAIT and the commands pipelined behind it arrive in the same read.
            out.write("PING\r\nWAIT 1 1500\r\nSET held v\r\nGET held\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+PONG\r\n", read(in, 7), "replies before the WAIT leave at once");
            awaitBlockedClients(other, 1);
            assertNull(other.get("held"), "the SET behind the WAIT has not run yet");
            String rest = read(in, ":0\r\n+OK\r\n$1\r\nv\r\n".length());
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(":0\r\n+OK\r\n$1\r\nv\r\n", rest, "then WAIT's 0 and the held commands, in order");
            assertTrue(elapsedMillis >= 1500, "answered after " + elapsedMillis + " ms");
            assertTrue(other.info("clients").contains("blocked_clients:0\r\n"), other.info("clients"));
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+PONG\r\n", read(in, 7), "and the connection reads again");
        }
    }

    @Test
    void aTimeoutOfZeroBlocksUntilTheConnectionCloses() throws Exception {
        try (Jedis other = SERVER.client()) {
            try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
                s.setSoTimeout(300);
                s.getOutputStream().write("WAIT 1 0\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThrows(java.net.SocketTimeoutException.class, () -> s.getInputStream().read());
                assertTrue(other.info("clients").contains("blocked_clients:1\r\n"), other.info("clients"));
            }
            long deadline = System.currentTimeMillis() + 5_000;
            while (!other.info("clients").contains("blocked_clients:0\r\n")
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(other.info("clients").contains("blocked_clients:0\r\n"), "a closed connection unblocks");
            assertEquals("PONG", other.ping(), "the server goes on serving");
        }
    }


    /** CLIENT UNBLOCK ends a WAIT from another connection, as its timeout would or with an error. */
    @Test
    void clientUnblockEndsTheWait() throws Exception {
        try (Socket s = new Socket("127.0.0.1", SERVER.port()); Jedis other = SERVER.client()) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long id = RawReplies.clientId(out, in);
            out.write("WAIT 1 0\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            awaitBlocked(other, id);
            assertTrue(other.clientList().lines().anyMatch(l -> l.startsWith("id=" + id + " ") && l.contains(" flags=b ")),
                    other.clientList());
            assertEquals(1L, other.clientUnblock(id));
            assertEquals(":0\r\n+PONG\r\n", read(in, 11), "as if the wait timed out");
            assertEquals(0L, other.clientUnblock(id), "no longer blocked");

            out.write("WAIT 1 0\r\n".getBytes(StandardCharsets.US_ASCII));
            awaitBlocked(other, id);
            assertEquals(1L, other.clientUnblock(id, redis.clients.jedis.args.UnblockType.ERROR));
            String error = "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n";
            assertEquals(error, read(in, error.length()));
            assertEquals(0L, other.clientUnblock(999_999_999L), "no such client");
            assertEquals("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR", assertThrows(JedisDataException.class,
                    () -> other.sendCommand(redis.clients.jedis.Protocol.Command.CLIENT, "UNBLOCK", "1", "LATER"))
                    .getMessage());
        }
    }

    /**
     * What Redis does when a connection's own input continues behind a WAIT: a second WAIT blocks again, a reply
     * turned off stays off, and a broken frame is answered only after everything before it.
     */
    @Test
    void whatFollowsAWaitWaitsItsTurn() throws Exception {
        try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long start = System.nanoTime();
            out.write(("WAIT 1 100\r\nWAIT 1 100\r\nCLIENT REPLY SKIP\r\nWAIT 1 50\r\nPING\r\n*1\r\n$x\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String expected = ":0\r\n:0\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n";
            assertEquals(expected, read(in, expected.length() + 10), "the skipped WAIT's 0 is not sent");
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMillis >= 250, "the three waits ran one after another: " + elapsedMillis + " ms");
            assertEquals(-1, in.read(), "the broken frame closed the connection last");
        }
    }

    /** One event loop, so the unblocking and the blocked connection share a thread. */
    @RegisterExtension
    static final RunningServer ONE_LOOP = new RunningServer(64L << 20, 1);

    /**
     * CLIENT UNBLOCK inside a transaction that holds the key a blocked connection's next command needs: the blocked
     * connection resumes after the EXEC, on its own turn, instead of inside it, where it would wait for that key's
     * lock on the very thread that holds it.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void anUnblockInsideExecLetsTheWaiterGoOnAfterIt() throws Exception {
        try (Socket s = new Socket("127.0.0.1", ONE_LOOP.port()); Jedis other = ONE_LOOP.client()) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            long id = RawReplies.clientId(out, in);
            out.write("WAIT 1 0\r\nGET k\r\n".getBytes(StandardCharsets.US_ASCII));
            awaitBlocked(other, id);
            Transaction t = other.multi();
            t.set("k", "v");
            t.sendCommand(redis.clients.jedis.Protocol.Command.CLIENT, "UNBLOCK", Long.toString(id));
            assertEquals(List.of("OK", 1L), t.exec());
            assertEquals(":0\r\n$1\r\nv\r\n", read(in, 11), "the GET ran after the transaction");
        }
    }

    private static void awaitBlockedClients(Jedis other, int count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5_000;
        while (!other.info("clients").contains("blocked_clients:" + count + "\r\n")
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(other.info("clients").contains("blocked_clients:" + count + "\r\n"), other.info("clients"));
    }

    private static void awaitBlocked(Jedis other, long id) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5_000;
        while (!other.clientList().lines().anyMatch(l -> l.startsWith("id=" + id + " ") && l.contains("flags=b"))
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
    }
}
