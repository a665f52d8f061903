package io.nibble.server;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-connection state: protocol version, authentication, name, a transaction's queued commands and the keys it
 * WATCHes.
 */
final class Session {
    final long id;
    final long createdMillis = System.currentTimeMillis();
    /** The connection, set once it is accepted; CLIENT LIST reads it and CLIENT KILL closes it. */
    volatile io.netty.channel.Channel channel;
    /**
     * What CLIENT LIST shows of the connection's activity. Written by its I/O thread without ordering and read by
     * other threads as approximate values: a reference or an int cannot tear, and a stale read is harmless.
     */
    long lastActiveMillis = createdMillis;
    String lastCommand = "NULL";
    String libName = "";
    String libVersion = "";
    /** MONITOR: every command the server runs is sent here; set and cleared under the monitors' lock. */
    volatile boolean monitoring;
    /** CLIENT REPLY OFF: commands run without replies until CLIENT REPLY ON. */
    boolean replyOff;
    /** CLIENT REPLY SKIP: the next command runs without a reply. */
    boolean skipReply;
    /** The command now running answered with an error: INFO commandstats counts it as a failed call. */
    boolean failed;
    /** The write command now running changed nothing (see {@code Commands.changedKeys}). */
    boolean unchanged;
    /**
     * The last command ran without failing and without reporting that it left its keys alone; for a write command
     * that means it changed the keys it writes (EXEC uses it to decide which stripes move on).
     */
    boolean lastChanged;
    /** Which of its keys the multi-key write now running changed; null when it does not say (all or none). */
    boolean[] changedPerKey;
    /**
     * The stripes of the keys that existed when the FLUSHALL or FLUSHDB now running removed them: only their
     * versions move, so a WATCH on a key that did not exist still holds, as in Redis. Null otherwise.
     */
    java.util.BitSet flushedStripes;
    /**
     * Set by a command that blocks its connection (WAIT): the connection runs nothing more until the block ends.
     * Taken by the connection's handler as soon as the command returns.
     */
    Block block;
    /** The connection is blocked (CLIENT LIST's flag b); written by its I/O thread. */
    volatile boolean blocked;
    /** Its block is one CLIENT UNBLOCK may end; written by its I/O thread. */
    volatile boolean unblockable;
    /** Ends the connection's block from another connection (CLIENT UNBLOCK): true for an error reply. */
    volatile java.util.function.Consumer<Boolean> unblocker;

    /**
     * A blocked connection's wait: {@code timeoutMillis} (0: until the connection closes), then {@code reply} is
     * written, and the commands that arrived meanwhile run. CLIENT UNBLOCK may end it early only if
     * {@code unblockable} (a WAIT, not a command that CLIENT PAUSE holds). {@code skipped}: the blocked command was
     * the one CLIENT REPLY SKIP silenced, so whatever ends the block writes nothing.
     */
    record Block(long timeoutMillis, java.util.function.Consumer<io.netty.buffer.ByteBuf> reply,
                 boolean unblockable, boolean skipped) {
        Block(long timeoutMillis, java.util.function.Consumer<io.netty.buffer.ByteBuf> reply, boolean unblockable) {
            this(timeoutMillis, reply, unblockable, false);
        }
    }

    /** Close once the reply of the command now running is sent: QUIT, SHUTDOWN, or a CLIENT KILL of itself. */
    boolean closeAfterReply;
    int protocol = 2;
    boolean authenticated;
    String name;
    /** Commands queued by MULTI; null outside a transaction. */
    List<byte[][]> queued;
    /** Argument bytes of {@link #queued}, bounded by {@link RespLimits#maxQueuedBytes()}. */
    long queuedBytes;
    /** {@link #queuedBytes} as counted against the server-wide {@link InputBudget}. */
    final InputBudget.Share queuedHeld;
    /** A command inside MULTI failed to queue: EXEC must abort. */
    boolean transactionFailed;
    /** EXEC is running this connection's queued commands and holds their key locks. */
    boolean inExec;
    /** Length of the last value this connection read: the room GET plans for in the reply buffer. */
    int lastValueLength = 64;
    /** Scratch for the marked key-lock stripes of one command or EXEC, reused so that locking allocates nothing. */
    int[] stripes = new int[8];

    /** WATCHed keys as their stripe, the stripe's version then, and the key's expiry then (ms, or negative). */
    int watchCount;
    int[] watchStripes = new int[0];
    long[] watchVersions = new long[0];
    long[] watchExpiries = new long[0];

    Session(long id, boolean authenticated, InputBudget budget) {
        this.id = id;
        this.authenticated = authenticated;
        this.queuedHeld = budget.new Share();
    }

    void beginTransaction() {
        queued = new ArrayList<>();
        dropQueued();
        transactionFailed = false;
    }

    void endTransaction() {
        queued = null;
        queuedBytes = 0;
        queuedHeld.releaseAll();
        transactionFailed = false;
    }

    /** Forgets the queued commands, their memory and its count, but stays in the transaction. */
    void dropQueued() {
        queued.clear();
        queuedBytes = 0;
        queuedHeld.releaseAll();
    }

    /** The scratch array, grown to at least {@code atLeast} with its contents kept. */
    int[] stripes(int atLeast) {
        if (stripes.length < atLeast) {
            stripes = Arrays.copyOf(stripes, Math.max(atLeast, 2 * stripes.length));
        }
        return stripes;
    }

    void watch(int stripe, long version, long expiresAt) {
        if (watchCount == watchStripes.length) {
            int grown = Math.max(8, 2 * watchCount);
            watchStripes = Arrays.copyOf(watchStripes, grown);
            watchVersions = Arrays.copyOf(watchVersions, grown);
            watchExpiries = Arrays.copyOf(watchExpiries, grown);
        }
        watchStripes[watchCount] = stripe;
        watchVersions[watchCount] = version;
        watchExpiries[watchCount] = expiresAt;
        watchCount++;
    }

    void unwatch() {
        watchCount = 0;
        if (watchStripes.length > 64) {
            watchStripes = new int[0];
            watchVersions = new long[0];
            watchExpiries = new long[0];
        }
    }
}
