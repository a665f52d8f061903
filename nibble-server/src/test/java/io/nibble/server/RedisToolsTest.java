package io.nibble.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Redis's own tools against the server: redis-cli for commands, redis-benchmark for pipelined load. They come
 * from Debian's redis-tools, which .ci/run installs; without them this test is skipped with a message saying so.
 */
class RedisToolsTest {
    private static NibbleServer server;

    @BeforeAll
    static void start() throws Exception {
        boolean present = onPath("redis-cli") && onPath("redis-benchmark");
        if (!present) {
            System.err.println("SKIPPING RedisToolsTest: redis-cli/redis-benchmark not found; install redis-tools");
        }
        assumeTrue(present, "redis-tools is not installed");
        server = TestServers.start(256L << 20, 2);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + String.join(" ", command));
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed:\n" + text);
        return text;
    }

    private static String cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(server.port())));
        command.addAll(List.of(args));
        return run(command.toArray(new String[0])).trim();
    }

    @Test
    void redisCliRunsCommands() throws Exception {
        assertEquals("PONG", cli("PING"));
        assertEquals("OK", cli("SET", "tool:k", "hello"));
        assertEquals("hello", cli("GET", "tool:k"));
        assertEquals("1", cli("INCR", "tool:n"));
        assertEquals("1", cli("EXPIRE", "tool:k", "100"));
        assertTrue(Integer.parseInt(cli("TTL", "tool:k")) > 90);
        assertTrue(cli("INFO", "memory").contains("nibble_resident_over_live"));
        assertTrue(cli("DBSIZE").matches("\\d+"));
    }

    @Test
    void redisBenchmarkCompletesSetGetAndInlinePing() throws Exception {
        String out = run("redis-benchmark", "-p", Integer.toString(server.port()), "-t", "set,get,ping_inline",
                "-n", "20000", "-d", "1024", "-r", "10000", "-P", "16", "-q");
        assertTrue(out.contains("SET:") && out.contains("GET:") && out.contains("PING_INLINE:"), out);
        assertTrue(!out.contains("Error") && !out.contains("ERR"), out);
    }
}
