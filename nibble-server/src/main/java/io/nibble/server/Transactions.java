package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.nibble.Nibble;

import java.util.BitSet;
import java.util.List;

/**
 * MULTI, EXEC, DISCARD, WATCH and UNWATCH. EXEC runs its queued commands with every key they name, and every
 * watched key, locked exclusively in {@link KeyLocks}, so no other client reads or writes those keys between the
 * WATCH check and the last reply; WATCH records stripe versions that any change to a key moves on.
 */
final class Transactions {
    /** Runs one command of an EXEC, as a command outside MULTI would run but under the EXEC's locks. */
    interface Dispatcher {
        void dispatch(Session session, byte[][] args, ByteBuf out);
    }

    private final Nibble store;
    private final KeyLocks locks;
    private final RespLimits limits;
    private final Dispatcher dispatcher;

    Transactions(Nibble store, KeyLocks locks, RespLimits limits, Dispatcher dispatcher) {
        this.store = store;
        this.locks = locks;
        this.limits = limits;
        this.dispatcher = dispatcher;
    }

    /** Whether the command ends or discards a transaction rather than being queued inside one. */
    static boolean isTransactionControl(String name) {
        return name.equals("EXEC") || name.equals("DISCARD") || name.equals("MULTI") || name.equals("QUIT")
                || name.equals("RESET");
    }

    void run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "MULTI" -> {
                if (s.queued != null) {
                    throw new CommandError("ERR MULTI calls can not be nested");
                }
                s.beginTransaction();
                Reply.write(out, Reply.OK);
            }
            case "EXEC" -> exec(s, out);
            case "DISCARD" -> {
                if (s.queued == null) {
                    throw new CommandError("ERR DISCARD without MULTI");
                }
                s.endTransaction();
                unwatch(s);
                Reply.write(out, Reply.OK);
            }
            case "WATCH" -> watch(s, a, out);
            case "UNWATCH" -> {
                unwatch(s);
                Reply.write(out, Reply.OK);
            }
            default -> throw new IllegalStateException(name + " is in the command table but has no case here");
        }
    }

    /** Drops the session's transaction and its watches: RESET, or a closing connection. */
    void reset(Session s) {
        s.endTransaction();
        unwatch(s);
    }

    private void unwatch(Session s) {
        if (s.watchCount > 0) {
            locks.unguard();
        }
        s.unwatch();
    }

    /**
     * Records the version of each key's stripe, and the key's expiry: EXEC aborts if a stripe's version moved on or
     * a key that had a TTL expired meanwhile. A watching session keeps the key locks guarded, so every write from
     * now on moves its stripe's version; a write still running now may move it after it is read, which can only
     * abort the EXEC needlessly.
     */
    private void watch(Session s, byte[][] a, ByteBuf out) {
        if (s.watchCount + a.length - 1 > limits.maxArguments()) {
            throw new CommandError("ERR too many watched keys (max-arguments is " + limits.maxArguments() + ")");
        }
        if (s.watchCount == 0) {
            locks.guard();
        }
        for (int i = 1; i < a.length; i++) {
            int stripe = locks.stripe(a[i]);
            s.watch(stripe, locks.version(stripe), store.expiresAt(a[i]));
        }
        Reply.write(out, Reply.OK);
    }

    /**
     * Runs the queued commands with every key they name, and every watched key, locked exclusively: no other client
     * reads or writes those keys from the WATCH check to the last command's reply.
     */
    private void exec(Session s, ByteBuf out) {
        if (s.queued == null) {
            throw new CommandError("ERR EXEC without MULTI");
        }
        List<byte[][]> commands = s.queued;
        boolean failed = s.transactionFailed;
        s.endTransaction();
        if (failed) {
            unwatch(s);
            throw new CommandError("EXECABORT Transaction discarded because of previous errors.");
        }
        // Each stripe to lock as stripe << 1 | 1 when a queued command writes one of its keys (see KeyLocks).
        boolean everyKey = false;
        int n = s.watchCount;
        int[] marked = s.stripes(n);
        for (int i = 0; i < n; i++) {
            marked[i] = KeyLocks.mark(s.watchStripes[i], false);
        }
        for (byte[][] command : commands) {
            CommandTable.Command queued = CommandTable.lookup(CommandTable.requestName(command[0]));
            KeySpec spec = queued == null ? null : CommandTable.resolve(queued, command).keys();
            if (spec == null || spec.lockFree()) {
                continue;
            }
            everyKey |= spec.everyKey();
            int keys = spec.keyCount(command);
            marked = s.stripes(n + keys);
            for (int k = 0; k < keys; k++) {
                marked[n++] = KeyLocks.mark(locks.stripe(spec.key(command, k)), spec.writesKey(k));
            }
        }
        int count = everyKey ? 0 : KeyLocks.sortDistinct(marked, n);
        locks.guard(); // a watching session already guards; this covers the EXEC either way
        if (everyKey) {
            locks.lockAll();
        } else {
            for (int i = 0; i < count; i++) {
                locks.lockExclusive(KeyLocks.stripeOf(marked[i]));
            }
        }
        boolean ran = false;
        BitSet changed = new BitSet(); // stripes of keys the queued commands changed
        try {
            if (!watchedUnchanged(s)) {
                Reply.write(out, s.protocol == 3 ? Reply.NULL_RESP3 : Reply.NULL_ARRAY);
                return;
            }
            ran = true;
            s.inExec = true;
            Reply.arrayHeader(out, commands.size());
            for (byte[][] command : commands) {
                // dispatch, not execute: a CLIENT REPLY SKIP or OFF among the queued commands takes effect after
                // EXEC, so the array keeps one reply per command.
                dispatcher.dispatch(s, command, out);
                if (s.lastChanged) {
                    markChangedStripes(command, s.changedPerKey, changed);
                }
                takeFlushedStripes(s, changed);
            }
        } finally {
            takeFlushedStripes(s, changed); // a FLUSHALL that failed half way removed keys too
            s.inExec = false;
            if (everyKey) {
                locks.unlockAll(ran ? changed : null);
            } else {
                // Only the stripes of keys the transaction changed move their versions, so that a WATCH elsewhere
                // on a key it merely read or left as it was still holds.
                for (int i = 0; i < count; i++) {
                    int stripe = KeyLocks.stripeOf(marked[i]);
                    locks.unlockExclusive(stripe, ran && KeyLocks.writes(marked[i]) && changed.get(stripe));
                }
            }
            locks.unguard();
            unwatch(s);
        }
    }

    /** Adds the stripes of the keys a FLUSHALL inside EXEC removed, if one ran, to {@code changed}. */
    private static void takeFlushedStripes(Session s, BitSet changed) {
        if (s.flushedStripes != null) {
            changed.or(s.flushedStripes);
            s.flushedStripes = null;
        }
    }

    /**
     * Marks the stripes of the keys a command inside EXEC changed: those its spec writes, narrowed by
     * {@code perKey} when the command said which it changed.
     */
    private void markChangedStripes(byte[][] command, boolean[] perKey, BitSet changed) {
        CommandTable.Command c = CommandTable.lookup(CommandTable.requestName(command[0]));
        KeySpec spec = c == null ? null : CommandTable.resolve(c, command).keys();
        if (spec == null || spec.lockFree() || spec.everyKey()) {
            return;
        }
        int keys = spec.keyCount(command);
        for (int k = 0; k < keys; k++) {
            if (spec.writesKey(k) && (perKey == null || perKey[k])) {
                changed.set(locks.stripe(spec.key(command, k)));
            }
        }
    }

    /** Under the watched stripes' exclusive locks: no watched stripe changed and no watched TTL ran out. */
    private boolean watchedUnchanged(Session s) {
        long now = System.currentTimeMillis();
        for (int i = 0; i < s.watchCount; i++) {
            long expiry = s.watchExpiries[i];
            if (locks.version(s.watchStripes[i]) != s.watchVersions[i] || (expiry >= 0 && now >= expiry)) {
                return false;
            }
        }
        return true;
    }
}
