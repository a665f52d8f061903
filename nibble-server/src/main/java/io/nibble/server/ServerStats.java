package io.nibble.server;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/** Counters INFO reports. */
final class ServerStats {
    final long startMillis = System.currentTimeMillis();
    final CommandStats commandStats = new CommandStats();
    final LatencyStats latencyStats = new LatencyStats();
    final AtomicLong connectionsReceived = new AtomicLong();
    final AtomicLong rejectedConnections = new AtomicLong();
    final AtomicLong protocolErrors = new AtomicLong();
    final AtomicInteger connectedClients = new AtomicInteger();
    /** Connections a command (WAIT) holds blocked. */
    final AtomicInteger blockedClients = new AtomicInteger();
    /** The store's expired-key count at the last CONFIG RESETSTAT, which INFO's expired_keys counts from. */
    volatile long expiredKeysAtReset;
    /** Event loops currently taking connections. */
    volatile IntSupplier activeLoops = () -> 1;

    /** CONFIG RESETSTAT: the counters restart from zero; gauges (clients, loops) stay as they are. */
    void reset() {
        commandStats.reset();
        latencyStats.reset();
        connectionsReceived.set(0);
        rejectedConnections.set(0);
        protocolErrors.set(0);
    }

    long uptimeSeconds() {
        return (System.currentTimeMillis() - startMillis) / 1000;
    }
}
