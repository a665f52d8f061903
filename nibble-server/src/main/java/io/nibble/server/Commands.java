package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.nibble.Nibble;
import io.nibble.NibbleFullException;

import static io.nibble.server.Arguments.text;

/**
 * Executes commands against the shared store on the calling I/O thread: resolves each request in
 * {@link CommandTable}, queues it inside MULTI, or runs it under its keys' locks and hands it to the handlers of
 * its group. Atomic commands get their atomicity from the engine's operations; no command takes a server-wide lock
 * (only the rare slow-log entry, MONITOR registration and whole-key-space commands serialize).
 */
final class Commands {
    private final ServerStats stats;
    private final RespLimits limits;
    private final KeyLocks locks = new KeyLocks();
    private final InputBudget inputBudget;
    private final SlowLog slowLog;
    private final boolean latencyTracking;
    private final Clients clients = new Clients();
    private final Transactions transactions;
    private final StringCommands strings;
    private final KeyCommands keys;
    private final BitmapCommands bitmaps;
    private final ConnectionCommands connection;
    private final ServerCommands server;

    Commands(Nibble store, ServerConfig config, ServerStats stats, Runnable shutdown) {
        this.stats = stats;
        this.limits = config.limits();
        this.inputBudget = new InputBudget(limits.maxInputBytes());
        this.slowLog = new SlowLog(config.slowlogLogSlowerThan, config.slowlogMaxLen);
        this.latencyTracking = config.latencyTracking;
        this.transactions = new Transactions(store, locks, limits, this::dispatch);
        this.strings = new StringCommands(store, limits);
        this.keys = new KeyCommands(store);
        this.bitmaps = new BitmapCommands(store, limits);
        this.connection = new ConnectionCommands(config, clients, transactions);
        this.server = new ServerCommands(store, config, stats, slowLog, clients, locks, inputBudget, shutdown);
    }

    /**
     * Runs one command and writes its reply. The command is first resolved in {@link CommandTable}: an unknown
     * name or subcommand, a wrong number of arguments, or a missing AUTH is refused there (and inside MULTI makes
     * EXEC abort). Inside MULTI a resolved command is queued; otherwise it runs under its keys' locks, timed for
     * INFO commandstats and the slow log.
     *
     * @return false when the connection should close after the reply (QUIT)
     */
    boolean execute(Session session, byte[][] args, ByteBuf out) {
        if (!session.replyOff && !session.skipReply) {
            boolean open = dispatch(session, args, out);
            if (session.block != null) {
                session.block = replyRule(session, session.block, false);
            }
            return open;
        }
        // CLIENT REPLY OFF or SKIP: the command runs and its reply, errors included, is dropped.
        boolean skipThis = session.skipReply;
        session.skipReply = false;
        int mark = out.writerIndex();
        boolean open = dispatch(session, args, out);
        if (skipThis || session.replyOff) {
            out.writerIndex(mark);
        }
        if (session.block != null) {
            session.block = replyRule(session, session.block, skipThis);
        }
        return open;
    }

    /**
     * A block whose late reply follows CLIENT REPLY as it stands when the block ends: dropped for a skipped command or
     * while replies are off (a postponed CLIENT REPLY ON still gets its OK). A command held again by a pause keeps the
     * rule for its next try.
     */
    private static Session.Block replyRule(Session session, Session.Block block, boolean skipThis) {
        return new Session.Block(block.timeoutMillis(), reply -> {
            int from = reply.writerIndex();
            block.reply().accept(reply);
            if (session.block != null) {
                session.block = replyRule(session, session.block, skipThis);
            } else if (skipThis || session.replyOff) {
                reply.writerIndex(from);
            }
        }, block.unblockable(), skipThis);
    }

    private boolean dispatch(Session session, byte[][] args, ByteBuf out) {
        session.lastChanged = false;
        String name = CommandTable.requestName(args[0]);
        CommandTable.Command command = CommandTable.lookup(name);
        if (command == null) {
            reject(session, null, out, Arguments.unknown(args));
            return true;
        }
        CommandTable.Command resolved = CommandTable.resolve(command, args);
        if (resolved == null) {
            // As Redis: an unknown subcommand counts as an error reply but against no command.
            reject(session, null, out, "ERR unknown subcommand '" + Arguments.printable(text(args[1])) + "'. Try "
                    + command.name() + " HELP.");
            return true;
        }
        if (!resolved.accepts(args.length)) {
            reject(session, resolved, out, "ERR wrong number of arguments for '" + resolved.fullName()
                    + "' command");
            return true;
        }
        session.lastCommand = resolved.fullName();
        if (!session.authenticated && !resolved.has("no_auth")) {
            reject(session, resolved, out, "NOAUTH Authentication required.");
            return true;
        }
        if (session.monitoring && (resolved.has("readonly") || resolved.has("write"))) {
            reject(session, resolved, out, "ERR Replica can't interact with the keyspace");
            return true;
        }
        // One volatile read per command while no pause was ever asked for or the last was lifted.
        long paused = session.inExec || !clients.pause.active() ? 0
                : clients.pause.delayMillis(writes(session, resolved, name));
        if (paused > 0) {
            // CLIENT PAUSE: the connection waits, then tries the command again (it may find the pause extended).
            session.block = new Session.Block(paused, reply -> {
                if (!dispatch(session, args, reply)) {
                    session.closeAfterReply = true;
                }
            }, false);
            return true;
        }
        if (session.queued != null && !Transactions.isTransactionControl(name)) {
            queue(session, resolved, args, out);
            return true;
        }
        long start = System.nanoTime();
        boolean open = runLocked(session, resolved, name, session.inExec ? null : resolved.keys(), args, out);
        long elapsed = System.nanoTime() - start;
        stats.commandStats.called(resolved, elapsed, session.failed);
        if (latencyTracking) {
            stats.latencyStats.record(resolved, elapsed);
        }
        session.lastChanged = changedKeys(session);
        session.failed = false;
        Session[] watching = clients.monitors();
        if (watching.length != 0 && !resolved.has("admin")) {
            clients.feedMonitors(watching, session, resolved, args, out);
        }
        if (slowLog.isSlow(elapsed) && !resolved.has("skip_slowlog")) {
            Channel ch = session.channel;
            slowLog.add(Arguments.redacted(resolved, args), elapsed,
                    Clients.address(ch == null ? null : ch.remoteAddress()), session.name == null ? "" : session.name);
        }
        return open;
    }

    /** Whether CLIENT PAUSE WRITE holds the command: a write, or an EXEC whose queue holds one. */
    private static boolean writes(Session session, CommandTable.Command resolved, String name) {
        if (resolved.has("write")) {
            return true;
        }
        if (name.equals("EXEC") && session.queued != null) {
            for (byte[][] queued : session.queued) {
                CommandTable.Command c = CommandTable.lookup(CommandTable.requestName(queued[0]));
                CommandTable.Command r = c == null ? null : CommandTable.resolve(c, queued);
                if (r != null && r.has("write")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Runs a resolved command in its group's handlers; errors are thrown as {@link CommandError}. */
    private void run(Session session, CommandTable.Command command, String name, byte[][] args, ByteBuf out) {
        switch (command.group()) {
            case STRING -> strings.run(session, name, args, out);
            case GENERIC -> keys.run(session, name, args, out);
            case BITMAP -> bitmaps.run(session, name, args, out);
            case CONNECTION -> connection.run(session, name, args, out);
            case SERVER -> server.run(session, name, args, out);
            case TRANSACTIONS -> transactions.run(session, name, args, out);
            default -> throw new IllegalStateException(command.group() + " has no handlers");
        }
    }

    /** Runs a resolved command under the key locks its spec asks for (none for a null or lock-free spec). */
    private boolean runLocked(Session session, CommandTable.Command command, String name, KeySpec spec,
                              byte[][] args, ByteBuf out) {
        if (spec == null || spec.lockFree()) {
            return runCatching(session, command, name, args, out);
        }
        if (spec.exclusive()) {
            return runExclusive(session, command, name, spec, args, out);
        }
        if (spec.everyKey()) {
            locks.guard();
            locks.lockAll();
            try {
                return runCatching(session, command, name, args, out);
            } finally {
                locks.unlockAll(session.flushedStripes);
                session.flushedStripes = null;
                locks.unguard();
            }
        }
        KeyLocks.Slot unguarded = locks.enterUnguarded();
        if (unguarded != null) {
            try {
                return runCatching(session, command, name, args, out);
            } finally {
                locks.leaveUnguarded(unguarded);
            }
        }
        int keyCount = spec.keyCount(args);
        int[] marked = session.stripes(keyCount);
        for (int i = 0; i < keyCount; i++) {
            marked[i] = KeyLocks.mark(locks.stripe(spec.key(args, i)), spec.writesKey(i));
        }
        int stripes = KeyLocks.sortDistinct(marked, keyCount);
        for (int i = 0; i < stripes; i++) {
            locks.lockShared(KeyLocks.stripeOf(marked[i]));
        }
        try {
            return runCatching(session, command, name, args, out);
        } finally {
            boolean changed = changedKeys(session);
            boolean[] perKey = session.changedPerKey;
            if (changed && perKey != null && perKey.length == keyCount) {
                // Marked again with what each key went through: the same stripes, in the same order, so exactly
                // the locked ones are released; only the changed keys' stripes move their versions.
                for (int i = 0; i < keyCount; i++) {
                    marked[i] = KeyLocks.mark(locks.stripe(spec.key(args, i)), spec.writesKey(i) && perKey[i]);
                }
                KeyLocks.sortDistinct(marked, keyCount);
            }
            for (int i = 0; i < stripes; i++) {
                locks.unlockShared(KeyLocks.stripeOf(marked[i]), changed && KeyLocks.writes(marked[i]));
            }
        }
    }

    /**
     * Whether the write command that just ran changed a key: as in Redis, only a change breaks the WATCHes on it,
     * so a failed command and a write that had nothing to do (DEL of a missing key, SET NX on an existing one) leave
     * their stripes' versions alone. A multi-key command changes all its keys unless it says which it changed
     * ({@link Session#changedPerKey}).
     */
    private static boolean changedKeys(Session session) {
        return !session.failed && !session.unchanged;
    }

    /** Refuses a command before it runs; inside MULTI this also dooms the transaction to EXECABORT. */
    private void reject(Session session, CommandTable.Command command, ByteBuf out, String message) {
        if (command != null) {
            stats.commandStats.rejected(command);
        }
        if (session.queued != null) {
            session.transactionFailed = true;
        }
        Reply.error(out, message);
        stats.commandStats.errorReply(message);
    }

    /** Answers a command's own error, counted for INFO errorstats and as a failed call. */
    private void error(Session session, ByteBuf out, String message) {
        Reply.error(out, message);
        stats.commandStats.errorReply(message);
        session.failed = true;
    }

    /** The server-wide budget that decoders and MULTI queues hold their arguments against. */
    InputBudget inputBudget() {
        return inputBudget;
    }

    /** Lists an accepted connection for CLIENT LIST and CLIENT KILL. */
    void register(Session session, Channel channel) {
        clients.add(session, channel);
    }

    /** Forgets a closing connection, its transaction and what it watched; call on its I/O thread. */
    void release(Session session) {
        clients.remove(session);
        transactions.reset(session);
    }

    private boolean runCatching(Session session, CommandTable.Command command, String name, byte[][] args,
                                ByteBuf out) {
        session.unchanged = false;
        session.changedPerKey = null;
        try {
            run(session, command, name, args, out);
            return !session.closeAfterReply;
        } catch (CommandError e) {
            error(session, out, e.getMessage());
        } catch (NibbleFullException e) {
            error(session, out, "OOM command not allowed when used memory > 'maxmemory'. " + e.getMessage());
        } catch (IllegalArgumentException e) {
            error(session, out, "ERR " + e.getMessage());
        }
        return true;
    }

    /** Inside MULTI: queues a resolved command for EXEC, within the transaction's byte budget. */
    private void queue(Session session, CommandTable.Command command, byte[][] args, ByteBuf out) {
        long bytes = 16L * args.length;
        for (byte[] arg : args) {
            bytes += arg.length;
        }
        if (command.name().equals("WATCH")) {
            // WATCH runs rather than queues, and fails; as in Redis, that leaves the transaction intact.
            String message = "ERR WATCH inside MULTI is not allowed";
            Reply.error(out, message);
            stats.commandStats.errorReply(message);
        } else if (command.has("no_multi")) {
            reject(session, command, out, "ERR Command not allowed inside a transaction");
        } else if (session.queuedBytes + bytes > limits.maxQueuedBytes()) {
            // Drop what was queued: the transaction is lost either way, and its memory comes back now.
            session.dropQueued();
            reject(session, command, out, "ERR transaction exceeds max-queued-bytes (" + limits.maxQueuedBytes()
                    + ")");
        } else if (session.transactionFailed) { // a failed transaction only waits for its EXECABORT: keep nothing
            Reply.write(out, Reply.QUEUED);
        } else if (!session.queuedHeld.hold(bytes)) {
            session.dropQueued();
            reject(session, command, out, "ERR queued commands of all clients would hold more than max-input-bytes ("
                    + limits.maxInputBytes() + ")");
        } else {
            session.queued.add(args);
            session.queuedBytes += bytes;
            Reply.write(out, Reply.QUEUED);
        }
    }

    /**
     * Runs a command that reads some keys and writes another (RENAME, COPY, BITOP) as one step: like a one-command
     * EXEC, it raises the guard and holds its keys' stripes exclusively.
     */
    private boolean runExclusive(Session session, CommandTable.Command command, String name, KeySpec spec,
                                 byte[][] args, ByteBuf out) {
        int keys = spec.keyCount(args);
        int[] marked = session.stripes(keys);
        for (int i = 0; i < keys; i++) {
            marked[i] = KeyLocks.mark(locks.stripe(spec.key(args, i)), spec.writesKey(i));
        }
        keys = KeyLocks.sortDistinct(marked, keys);
        locks.guard();
        try {
            for (int i = 0; i < keys; i++) {
                locks.lockExclusive(KeyLocks.stripeOf(marked[i]));
            }
            try {
                return runCatching(session, command, name, args, out);
            } finally {
                boolean changed = changedKeys(session);
                for (int i = 0; i < keys; i++) {
                    locks.unlockExclusive(KeyLocks.stripeOf(marked[i]), changed && KeyLocks.writes(marked[i]));
                }
            }
        } finally {
            locks.unguard();
        }
    }
}
