package io.nibble.server;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.clients.jedis.Jedis;

import java.util.function.Consumer;

/**
 * A server for one test class, registered with {@code @RegisterExtension static}: started before the first test,
 * emptied before each one and closed after the last.
 */
final class RunningServer implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
    private final long capacity;
    private final int threads;
    private final Consumer<ServerConfig> customize;
    /** The password the customized configuration asks for, or null. */
    private final String password;
    private NibbleServer server;

    RunningServer(long capacity, int threads) {
        this(capacity, threads, config -> { });
    }

    RunningServer(long capacity, int threads, Consumer<ServerConfig> customize) {
        this.capacity = capacity;
        this.threads = threads;
        this.customize = customize;
        ServerConfig probe = new ServerConfig();
        customize.accept(probe);
        this.password = probe.requirePass;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        server = TestServers.start(capacity, threads, customize);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        try (Jedis j = client()) {
            j.flushAll();
        }
    }

    /** Fails, instead of hanging the build, when the server cannot stop: one of its event loops is stuck. */
    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        Thread closer = Thread.ofPlatform().daemon().name("close-test-server").start(server::close);
        closer.join(30_000);
        if (closer.isAlive()) {
            throw new AssertionError("the server did not stop within 30 s: an event loop is stuck");
        }
    }

    int port() {
        return server.port();
    }

    /** A new Jedis connection to the server, authenticated when the server has a password. */
    Jedis client() {
        Jedis j = new Jedis("127.0.0.1", port());
        if (password != null) {
            j.auth(password);
        }
        return j;
    }
}
