package io.nibble.server;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration, limits and shutdown. */
class ServerLifecycleTest {

    @Test
    void flagsOverrideTheConfigFile() throws Exception {
        Path file = Files.createTempFile("nibble", ".properties");
        Files.writeString(file, "port=7001\ncapacity=128m\nupdate-mode=append\nmax-clients=7\nthreads=3\n"
                + "elastic-loops=false\nlatency-tracking=no\nprotected-mode=yes\n");
        ServerConfig config = new ServerConfig();
        CommandLine.ParseResult parsed = new CommandLine(config).parseArgs("--config", file.toString(), "--port",
                "7002");
        Set<String> given = new HashSet<>();
        parsed.matchedOptions().forEach(o -> given.add(o.longestName()));
        config.applyFile(given);
        assertEquals(7002, config.port, "the flag wins");
        assertEquals(128L << 20, config.capacity);
        assertEquals(io.nibble.UpdateMode.APPEND, config.updateMode);
        assertEquals(7, config.limits().maxClients());
        assertEquals(3, config.threads);
        assertFalse(config.elasticLoops);
        assertFalse(config.latencyTracking, "yes and no, as CONFIG GET shows switches, are read too");
        assertTrue(config.protectedMode);
        Files.writeString(file, "colour=blue\n");
        ServerConfig bad = new ServerConfig();
        bad.configFile = file;
        assertThrows(IllegalArgumentException.class, () -> bad.applyFile(Set.of()));
        Files.writeString(file, "latency-tracking=maybe\n");
        ServerConfig unclear = new ServerConfig();
        unclear.configFile = file;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> unclear.applyFile(Set.of()));
        assertTrue(e.getMessage().contains("must be yes or no"), e.getMessage());
    }

    @Test
    void clientsBeyondTheLimitAreRefused() throws Exception {
        try (NibbleServer server = TestServers.start(32L << 20, 1, c -> c.maxClients = 2);
             Jedis first = new Jedis("127.0.0.1", server.port());
             Jedis second = new Jedis("127.0.0.1", server.port());
             Jedis third = new Jedis("127.0.0.1", server.port())) {
            assertEquals("PONG", first.ping());
            assertEquals("PONG", second.ping());
            Exception e = assertThrows(Exception.class, third::ping);
            assertTrue(e instanceof JedisDataException || e instanceof JedisConnectionException, e.toString());
            assertEquals("PONG", first.ping(), "refusing one client leaves the others alone");
        }
    }

    /** The output limit is about replies a client leaves unread, not about one large reply it is reading. */
    @Test
    void aReplyLargerThanTheOutputLimitStillArrives() throws Exception {
        try (NibbleServer server = TestServers.start(256L << 20, 1, c -> c.maxOutputBuffer = 4L << 20);
             Jedis j = new Jedis("127.0.0.1", server.port())) {
            byte[] big = new byte[20 << 20];
            new java.util.Random(5).nextBytes(big);
            j.set("big".getBytes(), big);
            org.junit.jupiter.api.Assertions.assertArrayEquals(big, j.get("big".getBytes()));
            // Huge exponents are refused as Redis refuses them (underflow, overflow), without expanding the number.
            for (String huge : new String[] {"1E-999999999", "1E+999999999", "0x1p999999999"}) {
                j.set("f", huge);
                JedisDataException e = assertThrows(JedisDataException.class, () -> j.incrByFloat("f", 1.0));
                assertEquals("ERR value is not a valid float", e.getMessage(), huge);
            }
            assertEquals(1.0, j.incrByFloat("g", 1.0));
        }
    }

    @Test
    void shutdownCommandStopsTheServer() throws Exception {
        NibbleServer server = TestServers.start(32L << 20, 1);
        try (Jedis j = new Jedis("127.0.0.1", server.port())) {
            j.set("k", "v");
            try {
                j.shutdown();
            } catch (JedisConnectionException expected) {
                // the server closes the connection as it stops
            }
        }
        CompletableFuture.runAsync(() -> {
            try {
                server.awaitStop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).get(10, TimeUnit.SECONDS);
        server.close(); // idempotent
    }
}
