package io.nibble.server;

import java.util.function.Consumer;

/** Servers for tests: loopback, an ephemeral port, a small store. */
final class TestServers {
    private TestServers() { }

    static NibbleServer start(long capacity, int threads) throws Exception {
        return start(capacity, threads, config -> { });
    }

    static NibbleServer start(long capacity, int threads, Consumer<ServerConfig> customize) throws Exception {
        ServerConfig config = new ServerConfig();
        config.port = 0;
        config.capacity = capacity;
        config.threads = threads;
        customize.accept(config);
        return NibbleServer.start(config);
    }
}
