package io.nibble.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server-wide limit on what unfinished and queued commands hold (max-input-bytes, 1 MiB here): the client whose
 * bytes would pass it loses its command and, for an unfinished one, its connection, and no one else does.
 */
class InputBudgetTest {
    @RegisterExtension
    static final RunningServer SERVER = new RunningServer(64L << 20, 2, config -> config.maxInputBytes = 1 << 20);

    private static final Random RANDOM = new Random(42);

    @Test
    void anUploadThatWouldPassTheBudgetIsRefusedAndTheOthersGoOn() throws Exception {
        byte[] big = randomValue(800_000);
        try (Socket first = new Socket("127.0.0.1", SERVER.port());
             Socket second = new Socket("127.0.0.1", SERVER.port());
             Jedis other = SERVER.client()) {
            first.setSoTimeout(10_000);
            second.setSoTimeout(10_000);
            OutputStream out = first.getOutputStream();
            out.write(setHeader("first", big.length));
            out.write(big, 0, 700_000);
            out.flush();
            awaitHeld(other, 700_000);

            long protocolErrors = protocolErrors(other);
            OutputStream secondOut = second.getOutputStream();
            secondOut.write(setHeader("second", 600_000));
            String refused = sendUntilClosed(secondOut, second.getInputStream(), 500_000);
            // The error may be lost to a reset: the server closes with the rest of the upload unread.
            assertTrue(refused.isEmpty() || refused.startsWith("-ERR Protocol error: unfinished commands of all "
                    + "clients would hold more than max-input-bytes"), refused);
            assertEquals(protocolErrors + 1, protocolErrors(other), "the second upload was refused");

            assertEquals("PONG", other.ping(), "everyone else is still served");
            out.write(big, 700_000, big.length - 700_000);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("+OK\r\n", RawReplies.read(first.getInputStream(), 5));
            assertArrayEquals(big, other.get("first".getBytes()), "the upload that fitted arrived whole");
            assertEquals("OK", other.set("second".getBytes(), randomValue(600_000)), "its bytes were given back");
            assertEquals(null, other.get("never"), "the refused upload wrote nothing");
        }
    }

    @Test
    void aConnectionThatClosesMidUploadGivesItsBytesBack() throws Exception {
        try (Jedis other = SERVER.client()) {
            for (int i = 0; i < 3; i++) {
                try (Socket s = new Socket("127.0.0.1", SERVER.port())) {
                    s.getOutputStream().write(setHeader("abandoned", 900_000));
                    s.getOutputStream().write(new byte[850_000]);
                    s.getOutputStream().flush();
                    awaitHeld(other, 850_000);
                }
                awaitNothingHeld(other);
            }
            byte[] value = randomValue(900_000);
            assertEquals("OK", other.set("k".getBytes(), value));
            assertArrayEquals(value, other.get("k".getBytes()));
            assertEquals(null, other.get("abandoned"));
        }
    }

    /**
     * A transaction's queue counts too. Each queued 40 KB command fits the decoder's allowance, so it is the queue
     * that is refused once another client's queue and its own pass the budget.
     */
    @Test
    void queuedTransactionsShareTheBudget() {
        byte[] large = randomValue(900_000);
        byte[] small = randomValue(40_000);
        try (Jedis a = SERVER.client(); Jedis b = SERVER.client()) {
            a.sendCommand(Protocol.Command.MULTI);
            assertEquals("QUEUED", text(a.sendCommand(Protocol.Command.SET, "a".getBytes(), large)));
            b.sendCommand(Protocol.Command.MULTI);
            int queued = 0;
            JedisDataException refused = null;
            while (refused == null && queued < 20) {
                try {
                    assertEquals("QUEUED", text(b.sendCommand(Protocol.Command.SET, ("b" + queued).getBytes(), small)));
                    queued++;
                } catch (JedisDataException e) {
                    refused = e;
                }
            }
            // About 210 KB of the budget is left after a's queue, and b's queue keeps 64 KiB without reserving.
            assertTrue(refused != null && queued >= 5 && queued <= 7, "refused after " + queued + " commands");
            assertEquals("ERR queued commands of all clients would hold more than max-input-bytes (1048576)",
                    refused.getMessage());
            JedisDataException aborted = assertThrows(JedisDataException.class,
                    () -> b.sendCommand(Protocol.Command.EXEC));
            assertTrue(aborted.getMessage().startsWith("EXECABORT"), aborted.getMessage());
            assertEquals(List.of("OK"), ((List<?>) a.sendCommand(Protocol.Command.EXEC)).stream()
                    .map(InputBudgetTest::text).toList());
            assertArrayEquals(large, a.get("a".getBytes()));
            assertEquals(null, a.get("b0"), "nothing of the aborted transaction ran");
            b.sendCommand(Protocol.Command.MULTI);
            for (int i = 0; i < 10; i++) {
                assertEquals("QUEUED", text(b.sendCommand(Protocol.Command.SET, ("b" + i).getBytes(), small)),
                        "EXEC gave the first queue's bytes back, and EXECABORT the second's");
            }
            assertEquals(10, ((List<?>) b.sendCommand(Protocol.Command.EXEC)).size());
            assertArrayEquals(small, a.get("b9".getBytes()));

            a.sendCommand(Protocol.Command.MULTI);
            a.sendCommand(Protocol.Command.SET, "a".getBytes(), large);
            assertEquals("OK", text(a.sendCommand(Protocol.Command.DISCARD)));
            b.sendCommand(Protocol.Command.MULTI);
            assertEquals("QUEUED", text(b.sendCommand(Protocol.Command.SET, "c".getBytes(), large)),
                    "DISCARD gave the queue's bytes back");
            assertEquals("OK", text(b.sendCommand(Protocol.Command.DISCARD)));
            assertEquals(0, heldInput(a));
        }
    }

    private static byte[] setHeader(String key, int valueLength) {
        return ("*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + valueLength + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Sends up to {@code bytes} zeros in pieces until the server closes; returns what it answered, or nothing when
     * the close reset the connection first.
     */
    private static String sendUntilClosed(OutputStream out, InputStream in, int bytes) throws IOException {
        try {
            for (int sent = 0; sent < bytes; sent += 10_000) {
                out.write(new byte[10_000]);
            }
        } catch (IOException closed) {
            // the server refused the command and closed while the rest was on its way
        }
        try {
            String reply = RawReplies.read(in, 200); // reads to the end of the stream: the connection is closed
            assertTrue(reply.length() < 200, reply);
            return reply;
        } catch (java.net.SocketException reset) {
            return "";
        }
    }

    private static long protocolErrors(Jedis other) {
        return infoField(other, "stats", "protocol_errors:");
    }

    /** Waits until the server holds at least {@code bytes} of the upload, so the order of the test is certain. */
    private static void awaitHeld(Jedis other, long bytes) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (heldInput(other) < bytes - InputBudget.ALLOWANCE && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(heldInput(other) >= bytes - InputBudget.ALLOWANCE, "held " + heldInput(other));
    }

    private static long heldInput(Jedis other) {
        return infoField(other, "memory", "nibble_input_reserved_bytes:");
    }

    private static long infoField(Jedis other, String section, String field) {
        return other.info(section).lines().filter(l -> l.startsWith(field))
                .mapToLong(l -> Long.parseLong(l.substring(field.length()).trim())).findFirst().orElseThrow();
    }

    /** Waits until the server holds no reservation: every closed upload has been given back. */
    private static void awaitNothingHeld(Jedis other) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (heldInput(other) != 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(0, heldInput(other));
    }

    private static byte[] randomValue(int length) {
        byte[] value = new byte[length];
        RANDOM.nextBytes(value);
        return value;
    }

    private static String text(Object reply) {
        return reply instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(reply);
    }
}
