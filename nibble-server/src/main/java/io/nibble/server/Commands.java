package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.nibble.Nibble;
import io.nibble.NibbleFullException;
import io.nibble.NibbleStats;
import io.nibble.Update;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Executes commands against the shared store on the calling I/O thread. Atomic commands get their atomicity from
 * the engine's single-key operations; no command takes a server-wide lock (only the rare slow-log entry, MONITOR
 * registration and whole-key-space commands serialize).
 */
final class Commands {
    private final Nibble store;
    private final ServerConfig config;
    private final ServerStats stats;
    private final Runnable shutdown;
    private final RespLimits limits;
    private final KeyLocks locks = new KeyLocks();
    private final SlowLog slowLog;
    /** Connections in MONITOR mode, copied on every change and read on every command. */
    private volatile Session[] monitors = new Session[0];
    /** Open connections by id, for CLIENT LIST and CLIENT KILL. */
    private final java.util.concurrent.ConcurrentSkipListMap<Long, Session> clients =
            new java.util.concurrent.ConcurrentSkipListMap<>();

    /** A command's own error, answered as {@code -<message>} while the connection stays open. */
    static final class CommandError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CommandError(String message) {
            super(message, null, false, false);
        }
    }

    Commands(Nibble store, ServerConfig config, ServerStats stats, Runnable shutdown) {
        this.store = store;
        this.config = config;
        this.stats = stats;
        this.shutdown = shutdown;
        this.limits = config.limits();
        this.slowLog = new SlowLog(config.slowlogLogSlowerThan, config.slowlogMaxLen);
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
            return dispatch(session, args, out);
        }
        // CLIENT REPLY OFF or SKIP: the command runs and its reply, errors included, is dropped.
        boolean skipThis = session.skipReply;
        session.skipReply = false;
        int mark = out.writerIndex();
        boolean open = dispatch(session, args, out);
        if (skipThis || session.replyOff) {
            out.writerIndex(mark);
        }
        return open;
    }

    private boolean dispatch(Session session, byte[][] args, ByteBuf out) {
        session.lastChanged = false;
        String name = commandName(args[0]);
        CommandTable.Command command = CommandTable.lookup(name);
        if (command == null) {
            reject(session, null, out, unknown(args));
            return true;
        }
        CommandTable.Command resolved = CommandTable.resolve(command, args);
        if (resolved == null) {
            // As Redis: an unknown subcommand counts as an error reply but against no command.
            reject(session, null, out, "ERR unknown subcommand '" + printable(text(args[1])) + "'. Try "
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
        if (session.queued != null && !isTransactionControl(name)) {
            queue(session, resolved, args, out);
            return true;
        }
        long start = System.nanoTime();
        boolean open = runLocked(session, name, session.inExec ? null : resolved.keys(), args, out);
        long elapsed = System.nanoTime() - start;
        stats.commandStats.called(resolved, elapsed, session.failed);
        session.lastChanged = changedKeys(session);
        session.failed = false;
        Session[] watching = monitors;
        if (watching.length != 0 && !resolved.has("admin")) {
            feedMonitors(watching, session, resolved, args, out);
        }
        if (slowLog.isSlow(elapsed) && !resolved.has("skip_slowlog")) {
            io.netty.channel.Channel ch = session.channel;
            slowLog.add(redacted(resolved, args), elapsed, address(ch == null ? null : ch.remoteAddress()),
                    session.name == null ? "" : session.name);
        }
        return open;
    }

    /** Runs a resolved command under the key locks its spec asks for (none for a null or lock-free spec). */
    private boolean runLocked(Session session, String name, KeySpec spec, byte[][] args, ByteBuf out) {
        if (spec == null || spec.lockFree()) {
            return runCatching(session, name, args, out);
        }
        if (spec.exclusive()) {
            return runExclusive(session, name, spec, args, out);
        }
        if (spec.everyKey()) {
            locks.guard();
            lockEveryStripe();
            try {
                return runCatching(session, name, args, out);
            } finally {
                unlockEveryStripe(true);
                locks.unguard();
            }
        }
        KeyLocks.Slot unguarded = locks.enterUnguarded();
        if (unguarded != null) {
            try {
                return runCatching(session, name, args, out);
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
            return runCatching(session, name, args, out);
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

    /** Lists an accepted connection for CLIENT LIST and CLIENT KILL. */
    void register(Session session, io.netty.channel.Channel channel) {
        session.channel = channel;
        clients.put(session.id, session);
    }

    /** Forgets a closing connection and what it watched; call on its I/O thread. */
    void release(Session session) {
        clients.remove(session.id);
        unwatch(session);
        stopMonitoring(session);
    }

    private synchronized void startMonitoring(Session session) {
        if (!session.monitoring) {
            session.monitoring = true;
            Session[] next = java.util.Arrays.copyOf(monitors, monitors.length + 1);
            next[next.length - 1] = session;
            monitors = next;
        }
    }

    private synchronized void stopMonitoring(Session session) {
        if (session.monitoring) {
            session.monitoring = false;
            monitors = java.util.Arrays.stream(monitors).filter(m -> m != session).toArray(Session[]::new);
        }
    }

    /**
     * Sends a command that ran to every MONITOR connection in Redis's format: the time, the client's address and
     * the arguments quoted, passwords redacted. A monitor's own commands go into its reply batch, so they keep
     * their order with its replies; a monitor too far behind to take more is disconnected.
     */
    private void feedMonitors(Session[] watching, Session source, CommandTable.Command command, byte[][] args,
                              ByteBuf out) {
        java.time.Instant now = java.time.Instant.now();
        io.netty.channel.Channel from = source.channel;
        StringBuilder line = new StringBuilder("+").append(now.getEpochSecond()).append('.')
                .append(String.format(Locale.ROOT, "%06d", now.getNano() / 1000))
                .append(" [0 ").append(address(from == null ? null : from.remoteAddress())).append(']');
        for (byte[] arg : redacted(command, args)) {
            line.append(' ');
            quote(line, arg);
        }
        byte[] bytes = line.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        for (Session monitor : watching) {
            io.netty.channel.Channel ch = monitor.channel;
            if (monitor == source) {
                out.writeBytes(bytes);
            } else if (ch != null && ch.isActive()) {
                if (ch.isWritable()) {
                    ch.writeAndFlush(io.netty.buffer.Unpooled.wrappedBuffer(bytes), ch.voidPromise());
                } else {
                    ch.close(); // it stopped reading: its backlog must not grow without bound
                }
            }
        }
    }

    private static final byte[] REDACTED = "(redacted)".getBytes(StandardCharsets.US_ASCII);

    /**
     * The arguments as MONITOR and the slow log show them: AUTH's, and the user name and password of HELLO's AUTH
     * option, replaced by "(redacted)" as Redis does. The array is copied only when something is redacted.
     */
    private static byte[][] redacted(CommandTable.Command command, byte[][] args) {
        String name = command.fullName();
        if (name.equals("auth")) {
            byte[][] shown = args.clone();
            java.util.Arrays.fill(shown, 1, shown.length, REDACTED);
            return shown;
        }
        if (name.equals("hello")) {
            for (int i = 2; i < args.length; i++) {
                if (text(args[i]).equalsIgnoreCase("AUTH")) {
                    byte[][] shown = args.clone();
                    java.util.Arrays.fill(shown, i + 1, Math.min(i + 3, shown.length), REDACTED);
                    return shown;
                }
            }
        }
        return args;
    }

    /** An argument as Redis's sdscatrepr quotes it: printable ASCII as is, escapes for the rest. */
    private static void quote(StringBuilder b, byte[] arg) {
        b.append('"');
        for (byte x : arg) {
            int c = x & 0xFF;
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 7 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        b.append((char) c);
                    } else {
                        b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    }
                }
            }
        }
        b.append('"');
    }

    private void unwatch(Session s) {
        if (s.watchCount > 0) {
            locks.unguard();
        }
        s.unwatch();
    }

    private boolean runCatching(Session session, String name, byte[][] args, ByteBuf out) {
        session.unchanged = false;
        session.changedPerKey = null;
        try {
            return run(session, name, args, out) && !session.closeAfterReply;
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
            session.queued.clear();
            session.queuedBytes = 0;
            reject(session, command, out, "ERR transaction exceeds max-queued-bytes (" + limits.maxQueuedBytes()
                    + ")");
        } else {
            if (!session.transactionFailed) { // a failed transaction only waits for its EXECABORT: keep nothing
                session.queued.add(args);
                session.queuedBytes += bytes;
            }
            Reply.write(out, Reply.QUEUED);
        }
    }

    /**
     * Runs a command that reads some keys and writes another (RENAME, COPY, BITOP) as one step: like a one-command
     * EXEC, it raises the guard and holds its keys' stripes exclusively.
     */
    private boolean runExclusive(Session session, String name, KeySpec spec, byte[][] args, ByteBuf out) {
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
                return runCatching(session, name, args, out);
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

    private void lockEveryStripe() {
        for (int i = 0; i < KeyLocks.STRIPES; i++) {
            locks.lockExclusive(i);
        }
    }

    private void unlockEveryStripe(boolean wrote) {
        for (int i = 0; i < KeyLocks.STRIPES; i++) {
            locks.unlockExclusive(i, wrote);
        }
    }

    /** The upper-case command name; the common ones come from constants, with no allocation. */
    private static String commandName(byte[] raw) {
        if (raw.length == 3) {
            int c0 = raw[0] & 0xDF;
            int c1 = raw[1] & 0xDF;
            int c2 = raw[2] & 0xDF;
            if (c1 == 'E' && c2 == 'T') {
                if (c0 == 'G') {
                    return "GET";
                }
                if (c0 == 'S') {
                    return "SET";
                }
            }
        }
        return CommandTable.upperAscii(raw);
    }

    private static boolean isTransactionControl(String name) {
        return name.equals("EXEC") || name.equals("DISCARD") || name.equals("MULTI") || name.equals("QUIT")
                || name.equals("RESET");
    }

    private boolean run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "GET" -> {
                long length = Reply.bulkFromStore(out, store, a[1], s.lastValueLength, s.protocol);
                if (length >= 0) {
                    s.lastValueLength = (int) length;
                }
            }
            case "SET" -> set(s, a, out);
            case "PING" -> {
                if (a.length > 2) {
                    throw wrongArity(a);
                }
                if (a.length == 2) {
                    Reply.bulk(out, a[1]);
                } else {
                    Reply.write(out, Reply.PONG);
                }
            }
            case "ECHO" -> {
                Reply.bulk(out, a[1]);
            }
            case "QUIT" -> {
                Reply.write(out, Reply.OK);
                return false;
            }
            case "SELECT" -> {
                if (parseLong(a[1]) != 0) {
                    throw new CommandError("ERR DB index is out of range");
                }
                Reply.write(out, Reply.OK);
            }
            case "AUTH" -> auth(s, a, out);
            case "HELLO" -> hello(s, a, out);
            case "CLIENT" -> client(s, a, out);
            case "COMMAND" -> command(s, a, out);
            case "SLOWLOG" -> slowlog(a, out);
            case "CONFIG" -> config(s, a, out);
            case "INFO" -> {
                List<String> sections = new ArrayList<>();
                for (int i = 1; i < a.length; i++) {
                    sections.add(text(a[i]).toLowerCase(Locale.ROOT));
                }
                Reply.bulk(out, info(sections.isEmpty() ? List.of("default") : sections));
            }
            case "DBSIZE" -> Reply.integer(out, store.size());
            case "FLUSHALL", "FLUSHDB" -> {
                flush();
                Reply.write(out, Reply.OK);
            }
            case "TIME" -> {
                long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
                Reply.arrayHeader(out, 2);
                Reply.bulk(out, Long.toString(micros / 1_000_000));
                Reply.bulk(out, Long.toString(micros % 1_000_000));
            }
            case "SHUTDOWN" -> {
                // As Redis: no reply on success, the connection just closes as the server stops.
                shutdown.run();
                return false;
            }
            case "SETNX" -> {
                boolean set = store.putIfAbsent(a[1], a[2]);
                s.unchanged = !set;
                Reply.integer(out, set ? 1 : 0);
            }
            case "SETEX", "PSETEX" -> {
                store.put(a[1], a[3], expireTime(a[2], name.equals("SETEX") ? "EX" : "PX",
                        name.toLowerCase(Locale.ROOT)));
                Reply.write(out, Reply.OK);
            }
            case "GETSET" -> {
                Reply.bulkOrNil(out, store.getAndPut(a[1], a[2]), s.protocol);
            }
            case "GETDEL" -> {
                byte[] value = store.getAndDelete(a[1]);
                s.unchanged = value == null;
                Reply.bulkOrNil(out, value, s.protocol);
            }
            case "GETEX" -> getex(s, a, out);
            case "MGET" -> {
                // One snapshot of all keys, so an MSET or multi-key DEL is seen whole or not at all.
                byte[][] values = store.getAll(java.util.Arrays.copyOfRange(a, 1, a.length));
                Reply.arrayHeader(out, values.length);
                for (byte[] value : values) {
                    Reply.bulkOrNil(out, value, s.protocol);
                }
            }
            case "MSET", "MSETNX" -> {
                if (a.length < 3 || a.length % 2 == 0) {
                    throw wrongArity(a);
                }
                byte[][] keys = new byte[a.length / 2][];
                byte[][] values = new byte[a.length / 2][];
                for (int i = 1, j = 0; i < a.length; i += 2, j++) {
                    keys[j] = a[i];
                    values[j] = a[i + 1];
                }
                if (name.equals("MSET")) {
                    store.putAll(keys, values);
                    Reply.write(out, Reply.OK);
                } else {
                    boolean set = store.putAllIfAbsent(keys, values);
                    s.unchanged = !set;
                    Reply.integer(out, set ? 1 : 0);
                }
            }
            case "APPEND" -> {
                byte[] suffix = a[2];
                byte[] result = store.compute(a[1], v -> {
                    if (v == null) {
                        return suffix;
                    }
                    byte[] joined = java.util.Arrays.copyOf(v, v.length + suffix.length);
                    System.arraycopy(suffix, 0, joined, v.length, suffix.length);
                    return joined;
                });
                Reply.integer(out, result.length);
            }
            case "STRLEN" -> {
                byte[] v = store.get(a[1]);
                Reply.integer(out, v == null ? 0 : v.length);
            }
            case "INCR" -> increment(a, out, 1);
            case "DECR" -> increment(a, out, -1);
            case "INCRBY" -> increment(a, out, parseLong(a[2]));
            case "DECRBY" -> {
                long by = parseLong(a[2]);
                if (by == Long.MIN_VALUE) {
                    throw new CommandError("ERR decrement would overflow");
                }
                increment(a, out, -by);
            }
            case "INCRBYFLOAT" -> incrementFloat(a, out);
            case "DEL", "UNLINK" -> {
                long deleted;
                if (a.length == 2) {
                    deleted = store.delete(a[1]) ? 1 : 0;
                } else {
                    s.changedPerKey = new boolean[a.length - 1];
                    deleted = store.deleteAll(java.util.Arrays.copyOfRange(a, 1, a.length), s.changedPerKey);
                }
                s.unchanged = deleted == 0 && s.changedPerKey == null; // several keys: changedPerKey says which
                Reply.integer(out, deleted);
            }
            case "EXISTS", "TOUCH" -> {
                long n = 0;
                for (int i = 1; i < a.length; i++) {
                    n += store.contains(a[i]) ? 1 : 0;
                }
                Reply.integer(out, n);
            }
            case "TYPE" -> {
                Reply.simple(out, store.contains(a[1]) ? "string" : "none");
            }
            case "EXPIRE" -> expire(s, a, out, 1000, false);
            case "PEXPIRE" -> expire(s, a, out, 1, false);
            case "EXPIREAT" -> expire(s, a, out, 1000, true);
            case "PEXPIREAT" -> expire(s, a, out, 1, true);
            case "PERSIST" -> {
                boolean[] changed = {false};
                store.update(a[1], (v, exp) -> {
                    changed[0] = v != null && exp != 0;
                    return changed[0] ? Update.put(v, 0) : Update.keep();
                });
                s.unchanged = !changed[0];
                Reply.integer(out, changed[0] ? 1 : 0);
            }
            case "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME" -> {
                long at = store.expiresAt(a[1]);
                if (at < 0) {
                    Reply.integer(out, at);
                } else {
                    switch (name) {
                        case "TTL" -> Reply.integer(out, Math.max(0, (at - System.currentTimeMillis() + 500) / 1000));
                        case "PTTL" -> Reply.integer(out, Math.max(0, at - System.currentTimeMillis()));
                        case "EXPIRETIME" -> Reply.integer(out, (at + 500) / 1000);
                        default -> Reply.integer(out, at);
                    }
                }
            }
            case "SCAN" -> scan(a, out);
            case "KEYS" -> {
                List<byte[]> keys = new ArrayList<>();
                long cursor = 0;
                do {
                    cursor = store.scan(cursor, 1024, k -> {
                        if (Glob.matches(a[1], k)) {
                            keys.add(k);
                        }
                    });
                } while (cursor != 0);
                Reply.arrayHeader(out, keys.size());
                keys.forEach(k -> Reply.bulk(out, k));
            }
            case "RANDOMKEY" -> Reply.bulkOrNil(out, randomKey(), s.protocol);
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
            case "GETRANGE", "SUBSTR" -> {
                long start = parseLong(a[2]);
                long end = parseLong(a[3]);
                byte[] v = store.get(a[1]);
                Reply.bulk(out, v == null ? new byte[0] : range(v, start, end));
            }
            case "SETRANGE" -> {
                setRange(s, a, out);
            }
            case "OBJECT" -> object(s, a, out);
            case "MEMORY" -> memory(s, a, out);
            case "MONITOR" -> {
                startMonitoring(s);
                Reply.write(out, Reply.OK);
            }
            case "ROLE" -> {
                Reply.arrayHeader(out, 3);
                Reply.bulk(out, "master");
                Reply.integer(out, 0);
                Reply.write(out, Reply.EMPTY_ARRAY);
            }
            case "RENAME", "RENAMENX" -> rename(s, a, out, name.equals("RENAMENX"));
            case "COPY" -> copy(s, a, out);
            case "SETBIT" -> setBit(s, a, out);
            case "GETBIT" -> {
                long offset = bitOffset(a[2]);
                byte[] v = store.get(a[1]);
                Reply.integer(out, v != null && BitOps.get(v, offset) ? 1 : 0);
            }
            case "BITCOUNT" -> bitCount(a, out);
            case "BITPOS" -> bitPos(a, out);
            case "BITOP" -> bitOp(s, a, out);
            case "LCS" -> lcs(s, a, out);
            case "RESET" -> {
                // As Redis: back to a fresh connection's state, name included; the library name and version stay.
                s.name = null;
                s.endTransaction();
                unwatch(s);
                stopMonitoring(s);
                s.replyOff = false;
                s.skipReply = false;
                s.protocol = 2;
                s.authenticated = config.requirePass == null;
                Reply.simple(out, "RESET");
            }
            default -> throw new IllegalStateException(name + " is in the command table but has no case here");
        }
        return true;
    }

    /**
     * Redis 7's GETRANGE: inclusive offsets, negative ones counting from the end; both clamp into the value, so a
     * negative end before the start still yields the first byte, unless both offsets are negative and crossed.
     */
    static byte[] range(byte[] v, long start, long end) {
        long[] r = start < 0 && end < 0 && start > end ? null : Ranges.clamp(v.length, start, end);
        return r == null ? new byte[0] : java.util.Arrays.copyOfRange(v, (int) r[0], (int) r[1] + 1);
    }

    private void setRange(Session s, byte[][] a, ByteBuf out) {
        long offset = parseLong(a[2]);
        if (offset < 0) {
            throw new CommandError("ERR offset is out of range");
        }
        byte[] patch = a[3];
        long length = offset + patch.length;
        long limit = Math.min(limits.maxBulkLength(), store.maxValueLength());
        if (patch.length > 0 && length > limit) {
            throw new CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        }
        long[] result = {0};
        store.update(a[1], (v, exp) -> {
            int current = v == null ? 0 : v.length;
            if (patch.length == 0) {
                result[0] = current; // nothing to write: an absent key stays absent
                return Update.keep();
            }
            byte[] next = java.util.Arrays.copyOf(v == null ? new byte[0] : v, (int) Math.max(current, length));
            System.arraycopy(patch, 0, next, (int) offset, patch.length);
            result[0] = next.length;
            return Update.put(next, exp);
        });
        s.unchanged = patch.length == 0;
        Reply.integer(out, result[0]);
    }

    private void object(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "HELP" -> help(out, "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "ENCODING <key>", "    Return the kind of internal representation Redis would use for <key>.",
                    "REFCOUNT <key>", "    Return the number of references of the value of <key>.",
                    "HELP", "    Print this help.");
            case "ENCODING" -> {
                byte[] v = store.get(a[2]);
                Reply.bulkOrNil(out, v == null ? null : encoding(v).getBytes(StandardCharsets.US_ASCII), s.protocol);
            }
            case "REFCOUNT" -> {
                byte[] v = store.get(a[2]);
                if (v == null) {
                    Reply.nil(out, s.protocol);
                } else {
                    // Redis shares the objects of the integers 0 to 9999 and reports them as referenced INT_MAX times.
                    boolean shared = encoding(v).equals("int") && v[0] != '-' && v.length <= 4;
                    Reply.integer(out, shared ? Integer.MAX_VALUE : 1);
                }
            }
            case "IDLETIME", "FREQ" -> {
                if (!store.contains(a[2])) {
                    Reply.nil(out, s.protocol); // as Redis: a missing key answers nil before anything else
                    return;
                }
                throw new CommandError("ERR OBJECT " + sub + " is not available: this server does not track access"
                        + " times or frequencies");
            }
            default -> throw new IllegalStateException("OBJECT " + sub + " is in the command table but not here");
        }
    }

    /** The encoding Redis would report for a string value: int, embstr (44 bytes or less) or raw. */
    static String encoding(byte[] v) {
        if (v.length > 0 && v.length <= 20) {
            try {
                long parsed = Long.parseLong(new String(v, StandardCharsets.US_ASCII));
                if (Long.toString(parsed).length() == v.length) {
                    return "int";
                }
            } catch (NumberFormatException e) {
                // not an integer
            }
        }
        return v.length <= 44 ? "embstr" : "raw";
    }

    private void memory(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "USAGE" -> {
                if (a.length != 3 && !(a.length == 5 && text(a[3]).equalsIgnoreCase("SAMPLES"))) {
                    throw new CommandError("ERR syntax error");
                }
                long bytes = store.memoryUsage(a[2]);
                if (bytes < 0) {
                    Reply.bulkOrNil(out, null, s.protocol);
                } else {
                    Reply.integer(out, bytes);
                }
            }
            case "HELP" -> help(out, "MEMORY USAGE <key> [SAMPLES <count>]",
                    "    Return the bytes the key's record and its index entry take in the store.");
            default -> throw new IllegalStateException("MEMORY " + sub + " is in the command table but not here");
        }
    }

    /** The value and expiry of a key, read in one step; null when absent. */
    private record Entry(byte[] value, long expireAt) { }

    private Entry read(byte[] key) {
        Entry[] found = {null};
        store.update(key, (v, exp) -> {
            found[0] = v == null ? null : new Entry(v, exp);
            return Update.keep();
        });
        return found[0];
    }

    // ------------------------------------------------------------------ bitmaps and LCS

    /** A bit offset as Redis takes it: a non-negative integer whose byte lies within proto-max-bulk-len. */
    private long bitOffset(byte[] argument) {
        String error = "ERR bit offset is not an integer or out of range";
        long offset = parseLong(argument, error);
        if (offset < 0 || (offset >>> 3) >= limits.maxBulkLength()) {
            throw new CommandError(error);
        }
        return offset;
    }

    /**
     * SETBIT: sets or clears one bit, growing the value with zero bytes; the key keeps its expiry. As in Redis,
     * setting a bit to the value it has changes nothing, so it breaks no WATCH.
     */
    private void setBit(Session s, byte[][] a, ByteBuf out) {
        long offset = bitOffset(a[2]);
        long on = parseLong(a[3], "ERR bit is not an integer or out of range");
        if ((on & ~1L) != 0) {
            throw new CommandError("ERR bit is not an integer or out of range");
        }
        if ((offset >>> 3) >= store.maxValueLength()) {
            throw new CommandError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        }
        boolean[] was = {false};
        store.update(a[1], (v, exp) -> {
            byte[] current = v == null ? new byte[0] : v;
            was[0] = BitOps.get(current, offset);
            s.unchanged = v != null && was[0] == (on == 1) && (offset >>> 3) < v.length;
            return s.unchanged ? Update.keep() : Update.put(BitOps.with(current, offset, on == 1), exp);
        });
        Reply.integer(out, was[0] ? 1 : 0);
    }

    /** BITCOUNT key [start end [BYTE|BIT]]; a missing key counts 0 whatever the arguments. */
    private void bitCount(byte[][] a, ByteBuf out) {
        byte[] v = store.get(a[1]);
        if (v == null) {
            Reply.integer(out, 0);
            return;
        }
        if (a.length == 2) {
            Reply.integer(out, BitOps.count(v, 0, 8L * v.length - 1));
            return;
        }
        if (a.length != 4 && a.length != 5) {
            throw new CommandError("ERR syntax error");
        }
        long start = parseLong(a[2]);
        long end = parseLong(a[3]);
        if (start < 0 && end < 0 && start > end) {
            Reply.integer(out, 0);
            return;
        }
        long[] bits = BitOps.range(v.length, start, end, a.length == 5 && bitUnit(a[4]));
        Reply.integer(out, bits == null ? 0 : BitOps.count(v, bits[0], bits[1]));
    }

    /**
     * BITPOS key bit [start [end [BYTE|BIT]]]. Past the value there are only zeros, so a clear bit is found there
     * when no end was given; with an end, a range without the bit answers -1.
     */
    private void bitPos(byte[][] a, ByteBuf out) {
        long bit = parseLong(a[2]);
        if (bit != 0 && bit != 1) {
            throw new CommandError("ERR The bit argument must be 1 or 0.");
        }
        byte[] v = store.get(a[1]);
        if (v == null) {
            Reply.integer(out, bit == 1 ? -1 : 0);
            return;
        }
        if (a.length > 6) {
            throw new CommandError("ERR syntax error");
        }
        long start = a.length > 3 ? parseLong(a[3]) : 0;
        boolean inBits = a.length == 6 && bitUnit(a[5]);
        boolean endGiven = a.length > 4;
        long end = endGiven ? parseLong(a[4]) : v.length - 1;
        long[] bits = BitOps.range(v.length, start, end, inBits);
        long position = bits == null ? -1 : BitOps.position(v, bit == 1, bits[0], bits[1]);
        if (bits != null && position < 0 && bit == 0 && !endGiven) {
            position = bits[1] + 1;
        }
        Reply.integer(out, position);
    }

    /** BYTE or BIT, the unit of a BITCOUNT or BITPOS range; true for BIT. */
    private static boolean bitUnit(byte[] unit) {
        return switch (text(unit).toUpperCase(Locale.ROOT)) {
            case "BIT" -> true;
            case "BYTE" -> false;
            default -> throw new CommandError("ERR syntax error");
        };
    }

    /** BITOP op destination source...: the result replaces the destination (no TTL); an empty one deletes it. */
    private void bitOp(Session s, byte[][] a, ByteBuf out) {
        String op = text(a[1]).toUpperCase(Locale.ROOT);
        if (!op.equals("AND") && !op.equals("OR") && !op.equals("XOR") && !op.equals("NOT")) {
            throw new CommandError("ERR syntax error");
        }
        if (op.equals("NOT") && a.length != 4) {
            throw new CommandError("ERR BITOP NOT must be called with a single source key.");
        }
        byte[] result = BitOps.combine(op, store.getAll(java.util.Arrays.copyOfRange(a, 3, a.length)));
        if (result.length == 0) {
            s.unchanged = !store.delete(a[2]);
        } else {
            store.put(a[2], result, 0);
        }
        Reply.integer(out, result.length);
    }

    /** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], with Redis's checks and reply shapes. */
    private void lcs(Session s, byte[][] a, ByteBuf out) {
        byte[][] values = store.getAll(new byte[][] {a[1], a[2]});
        boolean idx = false;
        boolean len = false;
        boolean withMatchLength = false;
        long minMatchLength = 0;
        for (int i = 3; i < a.length; i++) {
            String option = text(a[i]).toUpperCase(Locale.ROOT);
            if (option.equals("IDX")) {
                idx = true;
            } else if (option.equals("LEN")) {
                len = true;
            } else if (option.equals("WITHMATCHLEN")) {
                withMatchLength = true;
            } else if (option.equals("MINMATCHLEN") && i + 1 < a.length) {
                minMatchLength = Math.max(0, parseLong(a[++i])); // Redis 7 reads a negative minimum as none
            } else {
                throw new CommandError("ERR syntax error");
            }
        }
        if (idx && len) {
            throw new CommandError("ERR If you want both the length and indexes, please just use IDX.");
        }
        byte[] x = values[0] == null ? new byte[0] : values[0];
        byte[] y = values[1] == null ? new byte[0] : values[1];
        long table = Lcs.tableBytes(x.length, y.length);
        if (table > limits.maxBulkLength()) {
            throw new CommandError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        }
        if (table > Runtime.getRuntime().maxMemory() / 4 || table / Integer.BYTES > Integer.MAX_VALUE - 8) {
            // The table lives on the heap: refuse one that would crowd out the rest of the server, as Redis
            // refuses a table it cannot allocate.
            throw new CommandError("ERR Insufficient memory, failed allocating transient memory for LCS");
        }
        Lcs.Result result = Lcs.compute(x, y);
        if (len) {
            Reply.integer(out, result.common().length);
        } else if (idx) {
            long minimum = minMatchLength;
            List<Lcs.Match> shown = result.matches().stream()
                    .filter(m -> minimum == 0 || m.length() >= minimum).toList();
            Reply.mapHeader(out, 2, s.protocol);
            Reply.bulk(out, "matches");
            Reply.arrayHeader(out, shown.size());
            for (Lcs.Match m : shown) {
                Reply.arrayHeader(out, withMatchLength ? 3 : 2);
                Reply.arrayHeader(out, 2);
                Reply.integer(out, m.aStart());
                Reply.integer(out, m.aEnd());
                Reply.arrayHeader(out, 2);
                Reply.integer(out, m.bStart());
                Reply.integer(out, m.bEnd());
                if (withMatchLength) {
                    Reply.integer(out, m.length());
                }
            }
            Reply.bulk(out, "len");
            Reply.integer(out, result.common().length);
        } else {
            Reply.bulk(out, result.common());
        }
    }

    /** RENAME and RENAMENX; they hold both keys' stripes exclusively (see {@link #runExclusive}). */
    private void rename(Session s, byte[][] a, ByteBuf out, boolean onlyIfAbsent) {
        Entry source = read(a[1]);
        if (source == null) {
            throw new CommandError("ERR no such key");
        }
        boolean same = java.util.Arrays.equals(a[1], a[2]);
        s.unchanged = same; // renaming a key to itself changes nothing
        if (onlyIfAbsent && (same || store.contains(a[2]))) {
            s.unchanged = true;
            Reply.integer(out, 0);
            return;
        }
        if (!same) {
            store.put(a[2], source.value(), source.expireAt()); // a full store throws here, before the source goes
            store.delete(a[1]);
        }
        if (onlyIfAbsent) {
            Reply.integer(out, 1);
        } else {
            Reply.write(out, Reply.OK);
        }
    }

    /** COPY source destination [DB 0] [REPLACE], run like RENAME. */
    private void copy(Session s, byte[][] a, ByteBuf out) {
        boolean replace = false;
        for (int i = 3; i < a.length; i++) {
            String option = text(a[i]).toUpperCase(Locale.ROOT);
            if (option.equals("REPLACE")) {
                replace = true;
            } else if (option.equals("DB") && i + 1 < a.length) {
                if (parseLong(a[++i]) != 0) {
                    throw new CommandError("ERR DB index is out of range");
                }
            } else {
                throw new CommandError("ERR syntax error");
            }
        }
        if (java.util.Arrays.equals(a[1], a[2])) {
            throw new CommandError("ERR source and destination objects are the same");
        }
        Entry source = read(a[1]);
        if (source == null || (!replace && store.contains(a[2]))) {
            s.unchanged = true;
            Reply.integer(out, 0);
            return;
        }
        store.put(a[2], source.value(), source.expireAt());
        Reply.integer(out, 1);
    }

    // ------------------------------------------------------------------ strings

    /**
     * SET and GETEX options as Redis parses them: NX, XX, GET and KEEPTTL (SET only), PERSIST (GETEX only), and one
     * kind of time among EX, PX, EXAT and PXAT, which may repeat (the last wins). A conflicting or unknown option is
     * a syntax error, found before any time is checked.
     *
     * @param unit EX, PX, EXAT or PXAT; null without a time
     */
    private record StringOptions(boolean nx, boolean xx, boolean get, boolean keepTtl, boolean persist, String unit,
                                 byte[] time) {
        static StringOptions parse(byte[][] a, int from, boolean forSet) {
            boolean nx = false;
            boolean xx = false;
            boolean get = false;
            boolean keepTtl = false;
            boolean persist = false;
            String unit = null;
            byte[] time = null;
            for (int i = from; i < a.length; i++) {
                String option = text(a[i]).toUpperCase(Locale.ROOT);
                boolean hasNext = i + 1 < a.length;
                boolean timeAllowed = !keepTtl && !persist && (unit == null || unit.equals(option)) && hasNext;
                if (forSet && option.equals("NX") && !xx) {
                    nx = true;
                } else if (forSet && option.equals("XX") && !nx) {
                    xx = true;
                } else if (forSet && option.equals("GET")) {
                    get = true;
                } else if (forSet && option.equals("KEEPTTL") && unit == null) {
                    keepTtl = true;
                } else if (!forSet && option.equals("PERSIST") && unit == null) {
                    persist = true;
                } else if ((option.equals("EX") || option.equals("PX") || option.equals("EXAT")
                        || option.equals("PXAT")) && timeAllowed) {
                    unit = option;
                    time = a[++i];
                } else {
                    throw new CommandError("ERR syntax error");
                }
            }
            return new StringOptions(nx, xx, get, keepTtl, persist, unit, time);
        }
    }

    /**
     * SET with Redis's order of checks: options, then the expiry time, then the condition. A time already past
     * stores the key already expired, which reads as absent.
     */
    private void set(Session s, byte[][] a, ByteBuf out) {
        if (a.length == 3) {
            // The common SET: a plain write (which also clears any TTL), with no read of the old value.
            store.put(a[1], a[2], 0);
            Reply.write(out, Reply.OK);
            return;
        }
        StringOptions options = StringOptions.parse(a, 3, true);
        long expiry = options.unit() == null ? 0 : expireTime(options.time(), options.unit(), "set");
        if (!options.nx() && !options.xx() && !options.get() && !options.keepTtl()) {
            store.put(a[1], a[2], expiry);
            Reply.write(out, Reply.OK);
            return;
        }
        byte[] value = a[2];
        byte[][] previous = {null};
        boolean[] written = {false};
        store.update(a[1], (current, currentExpiry) -> {
            previous[0] = current;
            written[0] = !(options.nx() && current != null) && !(options.xx() && current == null);
            if (!written[0]) {
                return Update.keep();
            }
            return Update.put(value, options.keepTtl() && current != null ? currentExpiry : expiry);
        });
        s.unchanged = !written[0];
        if (options.get()) {
            Reply.bulkOrNil(out, previous[0], s.protocol);
        } else if (written[0]) {
            Reply.write(out, Reply.OK);
        } else {
            Reply.nil(out, s.protocol);
        }
    }

    /**
     * GETEX with EX, PX, EXAT, PXAT or PERSIST, following Redis: options are parsed first, a missing key answers
     * nil before the time is checked, and a time already past deletes the key after its value is read.
     */
    private void getex(Session s, byte[][] a, ByteBuf out) {
        StringOptions options = StringOptions.parse(a, 2, false);
        byte[][] value = {null};
        boolean[] changed = {false};
        store.update(a[1], (current, currentExpiry) -> {
            value[0] = current;
            changed[0] = false;
            if (current == null) {
                return Update.keep();
            }
            if (options.unit() != null) {
                long at = expireTime(options.time(), options.unit(), "getex");
                changed[0] = true;
                return at <= System.currentTimeMillis() ? Update.delete() : Update.put(current, at);
            }
            changed[0] = options.persist() && currentExpiry != 0;
            return changed[0] ? Update.put(current, 0) : Update.keep();
        });
        s.unchanged = !changed[0];
        Reply.bulkOrNil(out, value[0], s.protocol);
    }

    /**
     * An expiry argument of SET or GETEX as an absolute time in ms, checked as Redis checks it: positive, and
     * neither the unit conversion nor adding the current time may overflow.
     */
    private static long expireTime(byte[] argument, String unit, String command) {
        long n = parseLong(argument);
        boolean seconds = unit.equals("EX") || unit.equals("EXAT");
        if (n <= 0 || (seconds && n > Long.MAX_VALUE / 1000)) {
            throw new CommandError("ERR invalid expire time in '" + command + "' command");
        }
        long millis = seconds ? n * 1000 : n;
        if (unit.equals("EX") || unit.equals("PX")) {
            if (millis > Long.MAX_VALUE - System.currentTimeMillis()) {
                throw new CommandError("ERR invalid expire time in '" + command + "' command");
            }
            millis += System.currentTimeMillis();
        }
        return millis;
    }

    private void increment(byte[][] a, ByteBuf out, long by) {
        long[] result = {0};
        store.compute(a[1], v -> {
            long n = v == null ? 0 : parseStoredLong(v);
            long sum = n + by;
            if (((n ^ sum) & (by ^ sum)) < 0) {
                throw new CommandError("ERR increment or decrement would overflow");
            }
            result[0] = sum;
            return Long.toString(sum).getBytes(StandardCharsets.US_ASCII);
        });
        Reply.integer(out, result[0]);
    }

    /** INCRBYFLOAT in Redis's long double arithmetic, so results read back exactly as Redis would store them. */
    private void incrementFloat(byte[][] a, ByteBuf out) {
        LongDouble.Value by = LongDouble.parse(a[2]);
        if (by == null) {
            throw new CommandError("ERR value is not a valid float");
        }
        byte[] result = store.compute(a[1], v -> {
            LongDouble.Value current = v == null ? LongDouble.parse(ZERO_TEXT) : LongDouble.parse(v);
            if (current == null) {
                throw new CommandError("ERR value is not a valid float");
            }
            LongDouble.Value sum = LongDouble.add(current, by);
            if (sum.isInfinite()) {
                throw new CommandError("ERR increment would produce NaN or Infinity");
            }
            return LongDouble.format(sum).getBytes(StandardCharsets.US_ASCII);
        });
        Reply.bulk(out, result);
    }

    private static final byte[] ZERO_TEXT = {'0'};

    /**
     * EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with Redis 7's NX, XX, GT and LT, which may be combined where they
     * do not contradict each other; the options are checked before the time, as Redis does.
     */
    private void expire(Session session, byte[][] a, ByteBuf out, long unitMillis, boolean absolute) {
        boolean nx = false;
        boolean xx = false;
        boolean gt = false;
        boolean lt = false;
        for (int i = 3; i < a.length; i++) {
            switch (text(a[i]).toUpperCase(Locale.ROOT)) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GT" -> gt = true;
                case "LT" -> lt = true;
                default -> throw new CommandError("ERR Unsupported option " + text(a[i]));
            }
        }
        if (nx && (xx || gt || lt)) {
            throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
        }
        if (gt && lt) {
            throw new CommandError("ERR GT and LT options at the same time are not compatible");
        }
        long n = parseLong(a[2]);
        String command = text(a[0]).toLowerCase(Locale.ROOT);
        long millis = multiply(n, unitMillis, command);
        long at = absolute ? millis : deadline(millis, command);
        boolean onlyWithout = nx;
        boolean onlyWith = xx;
        boolean later = gt;
        boolean earlier = lt;
        boolean[] changed = {false};
        long now = System.currentTimeMillis();
        store.update(a[1], (v, exp) -> {
            changed[0] = false;
            if (v == null) {
                return Update.keep();
            }
            // As Redis: no expiry counts as an infinite one, so GT never holds and LT always does.
            boolean allowed = (!onlyWithout || exp == 0) && (!onlyWith || exp != 0)
                    && (!later || (exp != 0 && at > exp)) && (!earlier || exp == 0 || at < exp);
            if (!allowed) {
                return Update.keep();
            }
            changed[0] = true;
            return at <= now ? Update.delete() : Update.put(v, at);
        });
        session.unchanged = !changed[0];
        Reply.integer(out, changed[0] ? 1 : 0);
    }

    // ------------------------------------------------------------------ keyspace

    private void scan(byte[][] a, ByteBuf out) {
        long cursor = parseUnsigned(a[1]);
        byte[] pattern = null;
        int count = 10;
        String type = null;
        for (int i = 2; i < a.length; i++) {
            String option = text(a[i]).toUpperCase(Locale.ROOT);
            if (i + 1 >= a.length) {
                throw new CommandError("ERR syntax error");
            }
            switch (option) {
                case "MATCH" -> pattern = a[++i];
                case "COUNT" -> {
                    long c = parseLong(a[++i]);
                    if (c < 1) {
                        throw new CommandError("ERR syntax error");
                    }
                    count = (int) Math.min(c, 1 << 20);
                }
                case "TYPE" -> type = text(a[++i]).toLowerCase(Locale.ROOT);
                default -> throw new CommandError("ERR syntax error");
            }
        }
        List<byte[]> keys = new ArrayList<>();
        final byte[] match = pattern;
        boolean typeMatches = type == null || type.equals("string");
        long next = store.scan(cursor, count, k -> {
            if (typeMatches && (match == null || Glob.matches(match, k))) {
                keys.add(k);
            }
        });
        Reply.arrayHeader(out, 2);
        Reply.bulk(out, Long.toUnsignedString(next));
        Reply.arrayHeader(out, keys.size());
        keys.forEach(k -> Reply.bulk(out, k));
    }

    private byte[] randomKey() {
        if (store.size() == 0) {
            return null;
        }
        for (int attempt = 0; attempt < 64; attempt++) {
            long cursor = (ThreadLocalRandom.current().nextLong(256) << 40)
                    | ThreadLocalRandom.current().nextLong(1 << 16);
            List<byte[]> found = new ArrayList<>(1);
            store.scan(cursor, 64, found::add);
            if (!found.isEmpty()) {
                return found.get(ThreadLocalRandom.current().nextInt(found.size()));
            }
        }
        List<byte[]> found = new ArrayList<>(1);
        long cursor = 0;
        do {
            cursor = store.scan(cursor, 1024, k -> {
                if (found.isEmpty()) {
                    found.add(k);
                }
            });
        } while (cursor != 0 && found.isEmpty());
        return found.isEmpty() ? null : found.get(0);
    }

    private void flush() {
        store.clear();
    }

    // ------------------------------------------------------------------ connection

    private void auth(Session s, byte[][] a, ByteBuf out) {
        if (a.length > 3) {
            throw new CommandError("ERR syntax error");
        }
        if (config.requirePass == null) {
            if (a.length == 3 && text(a[1]).equals("default")) {
                s.authenticated = true; // the default user has no password: any password is accepted
                Reply.write(out, Reply.OK);
                return;
            }
            throw new CommandError("ERR AUTH <password> called without any password configured for the default "
                    + "user. Are you sure your configuration is correct?");
        }
        String user = a.length == 3 ? text(a[1]) : "default";
        if (!user.equals("default") || !config.requirePass.equals(text(a[a.length - 1]))) {
            throw new CommandError("WRONGPASS invalid username-password pair or user is disabled.");
        }
        s.authenticated = true;
        Reply.write(out, Reply.OK);
    }

    private void hello(Session s, byte[][] a, ByteBuf out) {
        int protocol = s.protocol;
        int i = 1;
        if (a.length > 1) {
            long version;
            try {
                version = parseLong(a[1]);
            } catch (CommandError e) {
                throw new CommandError("ERR Protocol version is not an integer or out of range");
            }
            if (version < 2 || version > 3) {
                throw new CommandError("NOPROTO unsupported protocol version");
            }
            protocol = (int) version;
            i = 2;
        }
        for (; i < a.length; i++) {
            String option = text(a[i]).toUpperCase(Locale.ROOT);
            if (option.equals("AUTH") && i + 2 < a.length) {
                ByteBuf ignored = io.netty.buffer.Unpooled.buffer();
                try {
                    auth(s, new byte[][] {"AUTH".getBytes(StandardCharsets.US_ASCII), a[i + 1], a[i + 2]}, ignored);
                } finally {
                    ignored.release();
                }
                i += 2;
            } else if (option.equals("SETNAME") && i + 1 < a.length) {
                s.name = text(a[++i]);
            } else {
                throw new CommandError("ERR Syntax error in HELLO option '" + text(a[i]) + "'");
            }
        }
        if (!s.authenticated) {
            throw new CommandError("NOAUTH HELLO must be called with the client already authenticated, otherwise "
                    + "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
                    + "select the RESP protocol version at the same time");
        }
        s.protocol = protocol;
        Reply.mapHeader(out, 7, protocol);
        Reply.bulk(out, "server");
        Reply.bulk(out, "redis");
        Reply.bulk(out, "version");
        Reply.bulk(out, ServerConfig.REDIS_VERSION);
        Reply.bulk(out, "proto");
        Reply.integer(out, protocol);
        Reply.bulk(out, "id");
        Reply.integer(out, s.id);
        Reply.bulk(out, "mode");
        Reply.bulk(out, "standalone");
        Reply.bulk(out, "role");
        Reply.bulk(out, "master");
        Reply.bulk(out, "modules");
        Reply.arrayHeader(out, 0);
    }

    private void client(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "SETNAME" -> {
                s.name = text(a[2]);
                Reply.write(out, Reply.OK);
            }
            case "GETNAME" -> Reply.bulkOrNil(out, s.name == null ? null : s.name.getBytes(StandardCharsets.UTF_8),
                    s.protocol);
            case "ID" -> Reply.integer(out, s.id);
            case "SETINFO" -> {
                String attribute = text(a[2]).toUpperCase(Locale.ROOT);
                String value = text(a[3]);
                if (value.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                    throw new CommandError("ERR " + attribute + " cannot contain spaces, newlines or special"
                            + " characters.");
                }
                switch (attribute) {
                    case "LIB-NAME" -> s.libName = value;
                    case "LIB-VER" -> s.libVersion = value;
                    default -> throw new CommandError("ERR Unrecognized option '" + text(a[2]) + "'");
                }
                Reply.write(out, Reply.OK);
            }
            case "INFO" -> Reply.bulk(out, describe(s) + "\n");
            case "LIST" -> {
                java.util.Set<Long> ids = null;
                if (a.length > 2) {
                    String option = text(a[2]).toUpperCase(Locale.ROOT);
                    if (option.equals("ID") && a.length > 3) {
                        ids = new java.util.HashSet<>();
                        for (int i = 3; i < a.length; i++) {
                            ids.add(parseLong(a[i]));
                        }
                    } else if (option.equals("TYPE") && a.length == 4) {
                        String type = text(a[3]).toLowerCase(Locale.ROOT);
                        if (!CLIENT_TYPES.contains(type)) {
                            throw new CommandError("ERR Unknown client type '" + text(a[3]) + "'");
                        }
                        ids = type.equals("normal") ? null : java.util.Set.of();
                    } else {
                        throw new CommandError("ERR syntax error");
                    }
                }
                StringBuilder b = new StringBuilder();
                for (Session c : clients.values()) {
                    if (ids == null || ids.contains(c.id)) {
                        b.append(describe(c)).append('\n');
                    }
                }
                Reply.bulk(out, b.toString());
            }
            case "KILL" -> clientKill(s, a, out);
            case "REPLY" -> {
                switch (text(a[2]).toUpperCase(Locale.ROOT)) {
                    case "ON" -> {
                        s.replyOff = false;
                        s.skipReply = false;
                        Reply.write(out, Reply.OK);
                    }
                    case "OFF" -> s.replyOff = true;
                    case "SKIP" -> s.skipReply = !s.replyOff; // the next command's reply; this one has none
                    default -> throw new CommandError("ERR syntax error");
                }
            }
            case "NO-EVICT", "NO-TOUCH" -> {
                // Nothing to switch: this server never evicts clients and does not track key access.
                String mode = text(a[2]).toUpperCase(Locale.ROOT);
                if (!mode.equals("ON") && !mode.equals("OFF")) {
                    throw new CommandError("ERR syntax error");
                }
                Reply.write(out, Reply.OK);
            }
            case "HELP" -> help(out, "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "ID", "    Return the ID of the current connection.",
                    "INFO", "    Return information about the current client connection.",
                    "GETNAME", "    Return the name of the current connection.",
                    "SETNAME <name>", "    Assign the name <name> to the current connection.",
                    "SETINFO <option> <value>", "    Set client meta attr (LIB-NAME or LIB-VER).",
                    "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
                    "    Return information about client connections.",
                    "KILL <ip:port>", "    Kill connection made from <ip:port>.",
                    "KILL <option> <value> [<option> <value> [...]]",
                    "    Kill connections. Options: ID, ADDR, LADDR, USER, TYPE, SKIPME (YES|NO), MAXAGE.",
                    "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
                    "NO-EVICT (ON|OFF)", "    Accepted; this server never evicts clients.",
                    "NO-TOUCH (ON|OFF)", "    Accepted; this server does not track key access times.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("CLIENT " + sub + " is in the command table but not here");
        }
    }

    /** One CLIENT LIST line: the fields Redis prints that this server tracks, in Redis's order. */
    private String describe(Session c) {
        io.netty.channel.Channel ch = c.channel;
        long now = System.currentTimeMillis();
        int fd = ch instanceof io.netty.channel.unix.UnixChannel u ? u.fd().intValue() : -1;
        var outbound = ch == null ? null : ch.unsafe().outboundBuffer();
        List<byte[][]> queued = c.queued;
        return "id=" + c.id + " addr=" + address(ch == null ? null : ch.remoteAddress())
                + " laddr=" + address(ch == null ? null : ch.localAddress()) + " fd=" + fd
                + " name=" + (c.name == null ? "" : c.name) + " age=" + (now - c.createdMillis) / 1000
                + " idle=" + Math.max(0, now - c.lastActiveMillis) / 1000
                + " flags=" + (c.monitoring ? "O" : queued != null ? "x" : "N") + " db=0"
                + " multi=" + (queued != null ? queued.size() : -1) + " watch=" + c.watchCount
                + " omem=" + (outbound == null ? 0 : outbound.totalPendingWriteBytes())
                + " cmd=" + c.lastCommand + " user=default resp=" + c.protocol
                + " lib-name=" + c.libName + " lib-ver=" + c.libVersion;
    }

    /** Client types CLIENT LIST and KILL accept; only "normal" clients exist here. */
    private static final List<String> CLIENT_TYPES = List.of("normal", "master", "replica", "slave", "pubsub");

    private static String address(java.net.SocketAddress a) {
        if (a instanceof java.net.InetSocketAddress i && i.getAddress() != null) {
            String host = i.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return a == null ? "" : a.toString();
    }

    /**
     * CLIENT KILL, in both forms: {@code CLIENT KILL addr:port} answers OK or an error; with filters (ID, ADDR,
     * LADDR, USER, SKIPME, MAXAGE, TYPE) it answers how many connections it closed. A connection killing itself
     * closes after this reply.
     */
    private void clientKill(Session s, byte[][] a, ByteBuf out) {
        if (a.length == 3) {
            String target = text(a[2]);
            for (Session c : clients.values()) {
                if (address(c.channel == null ? null : c.channel.remoteAddress()).equals(target)) {
                    kill(s, c);
                    Reply.write(out, Reply.OK);
                    return;
                }
            }
            throw new CommandError("ERR No such client");
        }
        if (a.length % 2 != 0) {
            throw new CommandError("ERR syntax error");
        }
        Long id = null;
        String addr = null;
        String laddr = null;
        boolean skipMe = true;
        long maxAge = -1;
        boolean none = false;
        for (int i = 2; i < a.length; i += 2) {
            String value = text(a[i + 1]);
            switch (text(a[i]).toUpperCase(Locale.ROOT)) {
                case "ID" -> id = parseLong(a[i + 1]);
                case "ADDR" -> addr = value;
                case "LADDR" -> laddr = value;
                case "USER" -> none |= !value.equals("default");
                case "TYPE" -> {
                    String type = value.toLowerCase(Locale.ROOT);
                    if (!CLIENT_TYPES.contains(type)) {
                        throw new CommandError("ERR Unknown client type '" + value + "'");
                    }
                    none |= !type.equals("normal");
                }
                case "SKIPME" -> {
                    if (!value.equalsIgnoreCase("yes") && !value.equalsIgnoreCase("no")) {
                        throw new CommandError("ERR syntax error");
                    }
                    skipMe = value.equalsIgnoreCase("yes");
                }
                case "MAXAGE" -> maxAge = parseLong(a[i + 1]);
                default -> throw new CommandError("ERR syntax error");
            }
        }
        long now = System.currentTimeMillis();
        long killed = 0;
        for (Session c : clients.values()) {
            io.netty.channel.Channel ch = c.channel;
            boolean matches = !none && (id == null || c.id == id)
                    && (addr == null || address(ch == null ? null : ch.remoteAddress()).equals(addr))
                    && (laddr == null || address(ch == null ? null : ch.localAddress()).equals(laddr))
                    && (maxAge < 0 || (now - c.createdMillis) / 1000 >= maxAge)
                    && !(skipMe && c == s);
            if (matches) {
                kill(s, c);
                killed++;
            }
        }
        Reply.integer(out, killed);
    }

    private static void kill(Session self, Session victim) {
        if (victim == self) {
            self.closeAfterReply = true;
        } else if (victim.channel != null) {
            victim.channel.close(); // safe from any thread: Netty runs the close on the victim's event loop
        }
    }

    /** COMMAND and its subcommands, answered from {@link CommandTable}. */
    private void command(Session s, byte[][] a, ByteBuf out) {
        String sub = a.length > 1 ? text(a[1]).toUpperCase(Locale.ROOT) : "";
        switch (sub) {
            case "" -> {
                Reply.arrayHeader(out, CommandTable.commands().size());
                CommandTable.commands().forEach(c -> commandInfo(c, out));
            }
            case "COUNT" -> Reply.integer(out, CommandTable.commands().size());
            case "INFO" -> {
                if (a.length == 2) {
                    command(s, new byte[][] {a[0]}, out);
                    return;
                }
                Reply.arrayHeader(out, a.length - 2);
                for (int i = 2; i < a.length; i++) {
                    CommandTable.Command c = CommandTable.lookupFullName(text(a[i]));
                    if (c == null) {
                        Reply.nil(out, s.protocol);
                    } else {
                        commandInfo(c, out);
                    }
                }
            }
            case "DOCS" -> {
                List<CommandTable.Command> wanted = new ArrayList<>();
                if (a.length == 2) {
                    wanted.addAll(CommandTable.commands());
                }
                for (int i = 2; i < a.length; i++) {
                    CommandTable.Command c = CommandTable.lookupFullName(text(a[i]));
                    if (c != null) { // as Redis: unknown names are left out
                        wanted.add(c);
                    }
                }
                Reply.mapHeader(out, wanted.size(), s.protocol);
                for (CommandTable.Command c : wanted) {
                    Reply.bulk(out, c.fullName());
                    commandDocs(c, s.protocol, out);
                }
            }
            case "LIST" -> {
                List<String> names = CommandTable.allNames();
                if (a.length > 2) {
                    if (a.length != 5 || !text(a[2]).equalsIgnoreCase("FILTERBY")) {
                        throw new CommandError("ERR syntax error");
                    }
                    String filter = text(a[3]).toUpperCase(Locale.ROOT);
                    String value = text(a[4]);
                    names = switch (filter) {
                        case "MODULE" -> List.of();
                        case "ACLCAT" -> names.stream().filter(n -> CommandTable.lookupFullName(n).categories()
                                .contains("@" + value.toLowerCase(Locale.ROOT))).toList();
                        case "PATTERN" -> names.stream().filter(n -> Glob.matches(a[4],
                                n.getBytes(StandardCharsets.US_ASCII))).toList();
                        default -> throw new CommandError("ERR syntax error");
                    };
                }
                Reply.arrayHeader(out, names.size());
                names.forEach(n -> Reply.bulk(out, n));
            }
            case "GETKEYS" -> {
                byte[][] target = java.util.Arrays.copyOfRange(a, 2, a.length);
                CommandTable.Command c = CommandTable.lookup(target[0]);
                if (c == null) {
                    throw new CommandError("ERR Invalid command specified");
                }
                c = CommandTable.resolve(c, target);
                if (c == null || !c.accepts(target.length)) {
                    throw new CommandError("ERR Invalid number of arguments specified for command");
                }
                KeySpec keys = c.keys();
                int n = keys == null ? 0 : keys.keyCount(target);
                if (n == 0) {
                    throw new CommandError("ERR The command has no key arguments");
                }
                Reply.arrayHeader(out, n);
                for (int i = 0; i < n; i++) {
                    Reply.bulk(out, keys.key(target, i));
                }
            }
            case "HELP" -> help(out, "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "(no subcommand)", "    Return details about all commands.",
                    "COUNT", "    Return the total number of commands in this server.",
                    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
                    "    Return a list of all commands in this server.",
                    "INFO [<command-name> ...]", "    Return details about the given commands, or all of them.",
                    "DOCS [<command-name> ...]", "    Return the documentation of the given commands, or all of them.",
                    "GETKEYS <full-command>", "    Return the keys from a full command.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("COMMAND " + sub + " is in the command table but not here");
        }
    }

    /** One command's COMMAND INFO entry, in Redis 7's ten fields; tips and key specifications are left empty. */
    private static void commandInfo(CommandTable.Command c, ByteBuf out) {
        Reply.arrayHeader(out, 10);
        Reply.bulk(out, c.fullName());
        Reply.integer(out, c.arity());
        Reply.arrayHeader(out, c.flags().size());
        c.flags().forEach(f -> Reply.simple(out, f));
        int[] keys = c.isContainer() ? new int[3] : c.keyPositions();
        Reply.integer(out, keys[0]);
        Reply.integer(out, keys[1]);
        Reply.integer(out, keys[2]);
        Reply.arrayHeader(out, c.categories().size());
        c.categories().forEach(category -> Reply.simple(out, category));
        Reply.write(out, Reply.EMPTY_ARRAY);
        Reply.write(out, Reply.EMPTY_ARRAY);
        Reply.arrayHeader(out, c.subcommands().size());
        c.subcommands().values().forEach(sub -> commandInfo(sub, out));
    }

    /** One command's COMMAND DOCS entry: summary, since, group and its subcommands' docs. */
    private static void commandDocs(CommandTable.Command c, int protocol, ByteBuf out) {
        Reply.mapHeader(out, c.isContainer() ? 4 : 3, protocol);
        Reply.bulk(out, "summary");
        Reply.bulk(out, c.summary());
        Reply.bulk(out, "since");
        Reply.bulk(out, c.since());
        Reply.bulk(out, "group");
        Reply.bulk(out, c.group());
        if (c.isContainer()) {
            Reply.bulk(out, "subcommands");
            Reply.mapHeader(out, c.subcommands().size(), protocol);
            for (CommandTable.Command sub : c.subcommands().values()) {
                Reply.bulk(out, sub.fullName());
                commandDocs(sub, protocol, out);
            }
        }
    }

    /** A HELP reply: one status line per line of text. */
    private static void help(ByteBuf out, String... lines) {
        Reply.arrayHeader(out, lines.length);
        for (String line : lines) {
            Reply.simple(out, line);
        }
    }

    /** SLOWLOG GET [count], LEN, RESET and HELP. */
    private void slowlog(byte[][] a, ByteBuf out) {
        switch (text(a[1]).toUpperCase(Locale.ROOT)) {
            case "GET" -> {
                if (a.length > 3) {
                    throw new CommandError("ERR syntax error");
                }
                long count = a.length == 3 ? parseLong(a[2]) : 10;
                if (count < -1) {
                    throw new CommandError("ERR count should be greater than or equal to -1");
                }
                slowLog.write(out, count);
            }
            case "LEN" -> Reply.integer(out, slowLog.length());
            case "RESET" -> {
                slowLog.reset();
                Reply.write(out, Reply.OK);
            }
            case "HELP" -> help(out, "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                    "    Entries are made of:", "    id, timestamp, time in microseconds, arguments array,"
                            + " client IP and port,", "    client name",
                    "LEN", "    Return the length of the slowlog.",
                    "RESET", "    Reset the slowlog.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("SLOWLOG subcommand in the table but not here");
        }
    }

    private void config(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "GET" -> {
                List<String[]> pairs = new ArrayList<>();
                for (String[] entry : config.parameters()) {
                    for (int i = 2; i < a.length; i++) {
                        if (Glob.matches(a[i], entry[0].getBytes(StandardCharsets.US_ASCII))) {
                            pairs.add(entry);
                            break;
                        }
                    }
                }
                Reply.mapHeader(out, pairs.size(), s.protocol);
                for (String[] p : pairs) {
                    Reply.bulk(out, p[0]);
                    Reply.bulk(out, p[1]);
                }
            }
            case "SET" -> {
                if (a.length < 4 || a.length % 2 != 0) {
                    throw new CommandError("ERR wrong number of arguments for 'config|set' command");
                }
                // Settings are fixed at start-up: setting one to the value it has is all that can succeed.
                for (int i = 2; i < a.length; i += 2) {
                    String parameter = text(a[i]).toLowerCase(Locale.ROOT);
                    String[] current = config.parameters().stream()
                            .filter(entry -> entry[0].equals(parameter)).findFirst().orElse(null);
                    if (current == null) {
                        throw new CommandError("ERR Unknown option or number of arguments for CONFIG SET - '"
                                + parameter + "'");
                    }
                    if (!current[1].equals(text(a[i + 1]))) {
                        throw new CommandError("ERR CONFIG SET failed (possibly related to argument '" + parameter
                                + "') - this server takes its settings at start-up only");
                    }
                }
                Reply.write(out, Reply.OK);
            }
            case "RESETSTAT" -> {
                stats.reset();
                Reply.write(out, Reply.OK);
            }
            case "REWRITE" -> throw new CommandError(config.configFile == null
                    ? "ERR The server is running without a config file"
                    : "ERR CONFIG REWRITE is not supported; edit " + config.configFile);
            case "HELP" -> help(out, "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                    "SET <directive> <value>", "    Accepted only with the value the parameter has: settings are"
                            + " fixed at start-up.",
                    "RESETSTAT", "    Reset statistics reported by the INFO command.",
                    "REWRITE", "    Refused: settings are fixed at start-up.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("CONFIG " + sub + " is in the command table but not here");
        }
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
            CommandTable.Command queued = CommandTable.lookup(commandName(command[0]));
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
            lockEveryStripe();
        } else {
            for (int i = 0; i < count; i++) {
                locks.lockExclusive(KeyLocks.stripeOf(marked[i]));
            }
        }
        boolean ran = false;
        java.util.BitSet changed = new java.util.BitSet(); // stripes of keys the queued commands changed
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
                dispatch(s, command, out);
                if (s.lastChanged) {
                    markChangedStripes(command, s.changedPerKey, changed);
                }
            }
        } finally {
            s.inExec = false;
            if (everyKey) {
                unlockEveryStripe(ran);
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

    /**
     * Marks the stripes of the keys a command inside EXEC changed: those its spec writes, narrowed by
     * {@code perKey} when the command said which it changed.
     */
    private void markChangedStripes(byte[][] command, boolean[] perKey, java.util.BitSet changed) {
        CommandTable.Command c = CommandTable.lookup(commandName(command[0]));
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

    /**
     * INFO: the named sections, as Redis names them. "default" (or none) gives every section but commandstats,
     * "all" and "everything" add it.
     */
    String info(List<String> sections) {
        boolean everything = sections.contains("all") || sections.contains("everything");
        boolean all = everything || sections.contains("default");
        java.util.function.Predicate<String> wanted = name -> all || sections.contains(name);
        NibbleStats st = store.stats();
        StringBuilder b = new StringBuilder();
        if (wanted.test("server")) {
            b.append("# Server\r\nredis_version:").append(ServerConfig.REDIS_VERSION)
                    .append("\r\nnibble_version:").append(ServerConfig.NIBBLE_VERSION)
                    .append("\r\nredis_mode:standalone\r\nos:").append(System.getProperty("os.name"))
                    .append("\r\narch_bits:64\r\nprocess_id:").append(ProcessHandle.current().pid())
                    .append("\r\ntcp_port:").append(config.port)
                    .append("\r\nuptime_in_seconds:").append(stats.uptimeSeconds())
                    .append("\r\nio_threads:").append(config.threads)
                    .append("\r\nio_threads_active:").append(stats.activeLoops.getAsInt())
                    .append("\r\njava_version:").append(Runtime.version()).append("\r\n\r\n");
        }
        if (wanted.test("clients")) {
            b.append("# Clients\r\nconnected_clients:").append(stats.connectedClients.get())
                    .append("\r\nblocked_clients:0") // no command blocks
                    .append("\r\nmaxclients:").append(config.limits().maxClients()).append("\r\n\r\n");
        }
        if (wanted.test("memory")) {
            double ratio = st.liveBytes() == 0 ? 0 : (double) st.residentBytes() / st.liveBytes();
            b.append("# Memory\r\nused_memory:").append(st.usedBytes())
                    .append("\r\nused_memory_rss:").append(st.residentBytes())
                    .append("\r\nmaxmemory:").append(st.capacityBytes())
                    .append("\r\nnibble_live_bytes:").append(st.liveBytes())
                    .append("\r\nnibble_used_bytes:").append(st.usedBytes())
                    .append("\r\nnibble_resident_bytes:").append(st.residentBytes())
                    .append("\r\nnibble_index_bytes:").append(st.indexBytes())
                    .append("\r\nnibble_resident_over_live:").append(String.format(Locale.ROOT, "%.3f", ratio))
                    .append("\r\nnibble_compacted_segments:").append(st.compactedSegments())
                    .append("\r\nmem_fragmentation_ratio:").append(String.format(Locale.ROOT, "%.2f", ratio))
                    .append("\r\n\r\n");
        }
        if (wanted.test("stats")) {
            b.append("# Stats\r\ntotal_connections_received:").append(stats.connectionsReceived.get())
                    .append("\r\ntotal_commands_processed:").append(stats.commandStats.totalCalls())
                    .append("\r\nrejected_connections:").append(stats.rejectedConnections.get())
                    .append("\r\nprotocol_errors:").append(stats.protocolErrors.get())
                    .append("\r\ntotal_error_replies:").append(stats.commandStats.totalErrorReplies())
                    .append("\r\nnibble_full_rejections:").append(st.fullRejections()).append("\r\n\r\n");
        }
        if (wanted.test("persistence")) {
            // Nothing is ever saved or loaded: the fields clients poll before trusting a server say so.
            b.append("# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_bgsave_in_progress:0"
                    + "\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\n\r\n");
        }
        if (wanted.test("replication")) {
            b.append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n\r\n");
        }
        if (wanted.test("cpu")) {
            appendCpu(b);
        }
        if (everything || sections.contains("commandstats")) {
            b.append("# Commandstats\r\n");
            stats.commandStats.appendCommandStats(b);
            b.append("\r\n");
        }
        if (wanted.test("errorstats")) {
            b.append("# Errorstats\r\n");
            stats.commandStats.appendErrorStats(b);
            b.append("\r\n");
        }
        if (wanted.test("keyspace")) {
            b.append("# Keyspace\r\n");
            if (st.keys() > 0) {
                b.append("db0:keys=").append(st.keys()).append(",expires=").append(st.expiringKeys()).append("\r\n");
            }
        }
        return b.toString();
    }

    /** INFO cpu: the process's system and user CPU seconds, from /proc where the platform has it. */
    private static void appendCpu(StringBuilder b) {
        b.append("# CPU\r\n");
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            // Fields after the command name, which is in parentheses and may contain spaces: utime is the 12th.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double ticksPerSecond = 100.0; // USER_HZ, fixed at 100 by the Linux ABI
            b.append(String.format(Locale.ROOT, "used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\n",
                    Long.parseLong(fields[12]) / ticksPerSecond, Long.parseLong(fields[11]) / ticksPerSecond));
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux: the section stays empty rather than guessed.
        }
        b.append("\r\n");
    }

    // ------------------------------------------------------------------ argument parsing

    private static CommandError wrongArity(byte[][] a) {
        return new CommandError("ERR wrong number of arguments for '" + text(a[0]).toLowerCase(Locale.ROOT)
                + "' command");
    }

    static String unknown(byte[][] a) {
        StringBuilder b = new StringBuilder("ERR unknown command '").append(printable(text(a[0])))
                .append("', with args beginning with: ");
        for (int i = 1; i < a.length && i < 8; i++) {
            b.append('\'').append(printable(text(a[i]))).append("' ");
        }
        return b.toString();
    }

    private static String printable(String s) {
        String t = s.length() > 128 ? s.substring(0, 128) : s;
        return t.replaceAll("[\\p{Cntrl}]", "?");
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static long parseLong(byte[] b) {
        return parseLong(b, "ERR value is not an integer or out of range");
    }

    /** Redis's strict integer syntax: no sign but '-', no leading zeros, no spaces. */
    static long parseLong(byte[] b, String error) {
        if (b.length == 0 || b.length > 20 || b[0] == '+' || (b[0] == '0' && b.length > 1)
                || (b[0] == '-' && (b.length == 1 || b[1] == '0'))) {
            throw new CommandError(error);
        }
        try {
            return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new CommandError(error);
        }
    }

    private static long parseStoredLong(byte[] b) {
        if (b.length > 0 && (b[0] == '+' || (b[0] == '0' && b.length > 1) || b[0] == ' ')) {
            throw new CommandError("ERR value is not an integer or out of range");
        }
        return parseLong(b);
    }

    private static long parseUnsigned(byte[] b) {
        try {
            return Long.parseUnsignedLong(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new CommandError("ERR invalid cursor");
        }
    }

    /** An expiry in milliseconds from one in {@code factor} units, refused as Redis does when it overflows. */
    private static long multiply(long n, long factor, String command) {
        try {
            return Math.multiplyExact(n, factor);
        } catch (ArithmeticException e) {
            throw new CommandError("ERR invalid expire time in '" + command + "' command");
        }
    }

    private static long deadline(long millisFromNow, String command) {
        try {
            return Math.addExact(System.currentTimeMillis(), millisFromNow);
        } catch (ArithmeticException e) {
            throw new CommandError("ERR invalid expire time in '" + command + "' command");
        }
    }

    /** Counters INFO reports. */
    static final class ServerStats {
        final long startMillis = System.currentTimeMillis();
        final CommandStats commandStats = new CommandStats();
        final AtomicLong connectionsReceived = new AtomicLong();
        final AtomicLong rejectedConnections = new AtomicLong();
        final AtomicLong protocolErrors = new AtomicLong();
        final java.util.concurrent.atomic.AtomicInteger connectedClients = new java.util.concurrent.atomic.AtomicInteger();
        /** Event loops currently taking connections. */
        volatile java.util.function.IntSupplier activeLoops = () -> 1;

        /** CONFIG RESETSTAT: the counters restart from zero; gauges (clients, loops) stay as they are. */
        void reset() {
            commandStats.reset();
            connectionsReceived.set(0);
            rejectedConnections.set(0);
            protocolErrors.set(0);
        }

        long uptimeSeconds() {
            return (System.currentTimeMillis() - startMillis) / 1000;
        }
    }
}
