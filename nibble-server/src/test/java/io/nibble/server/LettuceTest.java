package io.nibble.server;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lettuce 7 connects with HELLO 3, so everything here runs over RESP3. */
class LettuceTest {
    private static NibbleServer server;
    private static RedisClient client;

    @BeforeAll
    static void start() throws Exception {
        server = TestServers.start(64L << 20, 2);
        client = RedisClient.create("redis://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        client.shutdown(0, 2, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void stringsTtlScanAndTransactionsOverResp3() {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            assertEquals("PONG", redis.ping());
            assertEquals("OK", redis.set("l:a", "1"));
            assertEquals("1", redis.get("l:a"));
            assertNull(redis.get("l:missing"));
            assertEquals(5L, redis.incrby("l:a", 4));
            assertEquals("OK", redis.set("l:t", "v", SetArgs.Builder.ex(60)));
            assertTrue(redis.ttl("l:t") > 55);
            assertEquals(-2L, redis.ttl("l:missing"));
            for (int i = 0; i < 300; i++) {
                redis.set("l:scan:" + i, "x");
            }
            Set<String> seen = new HashSet<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches("l:scan:*").limit(50));
                seen.addAll(page.getKeys());
                cursor = page;
            } while (!cursor.isFinished());
            assertEquals(300, seen.size());
            redis.multi();
            redis.set("l:m", "1");
            redis.incr("l:m");
            TransactionResult result = redis.exec();
            assertEquals(2, result.size());
            assertEquals(2L, (Long) result.get(1));
        }
    }

    @Test
    void pipelinedCommandsKeepTheirOrder() throws Exception {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisAsyncCommands<String, String> redis = connection.async();
            connection.setAutoFlushCommands(false);
            List<RedisFuture<String>> gets = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                redis.set("l:p" + i, "v" + i);
                gets.add(redis.get("l:p" + i));
            }
            connection.flushCommands();
            for (int i = 0; i < 1000; i++) {
                assertEquals("v" + i, gets.get(i).get(10, TimeUnit.SECONDS));
            }
            connection.setAutoFlushCommands(true);
        }
    }
}
