package io.nibble.server;

/**
 * Limits that keep one client from growing the server's memory without bound.
 *
 * @param maxBulkLength largest bulk string argument, in bytes
 * @param maxArguments most arguments in one command
 * @param maxInlineLength longest inline command or multibulk header line, in bytes
 * @param maxClients most connections at once
 * @param maxOutputBytes replies a client may leave unread before it is disconnected
 * @param maxQueuedBytes argument bytes one MULTI may queue before its EXEC; also the most keys one client may WATCH
 * @param maxInputBytes argument bytes all clients together may hold in commands still arriving and in MULTI queues
 *                      (see {@link InputBudget}); by default a quarter of the JVM's heap
 */
public record RespLimits(int maxBulkLength, int maxArguments, int maxInlineLength, int maxClients,
                         long maxOutputBytes, long maxQueuedBytes, long maxInputBytes) {

    public static final RespLimits DEFAULT = new RespLimits(512 << 20, 1 << 20, 64 << 10, 10_000, 64L << 20,
            512L << 20, Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4));

    public RespLimits {
        if (maxBulkLength < 1 || maxArguments < 1 || maxInlineLength < 16 || maxClients < 1 || maxOutputBytes < 1024
                || maxQueuedBytes < 1024 || maxInputBytes < 1024) {
            throw new IllegalArgumentException("limits must be positive (inline at least 16 bytes, output, queued "
                    + "and input bytes at least 1 KiB): " + this);
        }
    }
}
