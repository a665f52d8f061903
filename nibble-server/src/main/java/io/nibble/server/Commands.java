package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.nibble.Nibble;
import io.nibble.NibbleFullException;
import io.nibble.NibbleStats;
import io.nibble.Update;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Executes commands against the shared store on the calling I/O thread. Atomic commands get their atomicity from
 * the engine's single-key operations; nothing here takes a server-wide lock.
 */
final class Commands {
    private final Nibble store;
    private final ServerConfig config;
    private final ServerStats stats;
    private final Runnable shutdown;
    private final RespLimits limits;
    private final KeyLocks locks = new KeyLocks();

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
    }

    /**
     * Runs one command and writes its reply.
     *
     * @return false when the connection should close after the reply (QUIT)
     */
    boolean execute(Session session, byte[][] args, ByteBuf out) {
        String name = commandName(args[0]);
        stats.commands.increment();
        if (!session.authenticated && !name.equals("AUTH") && !name.equals("HELLO") && !name.equals("QUIT")) {
            Reply.error(out, "NOAUTH Authentication required.");
            return true;
        }
        if (session.queued != null && !isTransactionControl(name)) {
            queue(session, name, args, out);
            return true;
        }
        KeySpec spec = session.inExec ? null : KeySpec.of(name);
        if (spec == null) {
            return runCatching(session, name, args, out);
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
        int keys = spec.keyCount(args);
        int[] marked = session.stripes(keys);
        for (int i = 0; i < keys; i++) {
            marked[i] = KeyLocks.mark(locks.stripe(spec.key(args, i)), spec.writes());
        }
        keys = KeyLocks.sortDistinct(marked, keys);
        for (int i = 0; i < keys; i++) {
            locks.lockShared(KeyLocks.stripeOf(marked[i]));
        }
        try {
            return runCatching(session, name, args, out);
        } finally {
            for (int i = 0; i < keys; i++) {
                locks.unlockShared(KeyLocks.stripeOf(marked[i]), KeyLocks.writes(marked[i]));
            }
        }
    }

    /** Forgets what a closing connection watched; call on its I/O thread. */
    void release(Session session) {
        unwatch(session);
    }

    private void unwatch(Session s) {
        if (s.watchCount > 0) {
            locks.unguard();
        }
        s.unwatch();
    }

    private boolean runCatching(Session session, String name, byte[][] args, ByteBuf out) {
        try {
            return run(session, name, args, out);
        } catch (CommandError e) {
            Reply.error(out, e.getMessage());
        } catch (NibbleFullException e) {
            Reply.error(out, "OOM command not allowed when used memory > 'maxmemory'. " + e.getMessage());
        } catch (IllegalArgumentException e) {
            Reply.error(out, "ERR " + e.getMessage());
        }
        return true;
    }

    /** Inside MULTI: queues a known command for EXEC, within the transaction's byte budget. */
    private void queue(Session session, String name, byte[][] args, ByteBuf out) {
        long bytes = 16L * args.length;
        for (byte[] arg : args) {
            bytes += arg.length;
        }
        if (!KNOWN.contains(name)) {
            session.transactionFailed = true;
            Reply.error(out, unknown(args));
        } else if (name.equals("WATCH")) {
            session.transactionFailed = true;
            Reply.error(out, "ERR WATCH inside MULTI is not allowed");
        } else if (session.queuedBytes + bytes > limits.maxQueuedBytes()) {
            // Drop what was queued: the transaction is lost either way, and its memory comes back now.
            session.queued.clear();
            session.queuedBytes = 0;
            session.transactionFailed = true;
            Reply.error(out, "ERR transaction exceeds max-queued-bytes (" + limits.maxQueuedBytes() + ")");
        } else {
            if (!session.transactionFailed) { // a failed transaction only waits for its EXECABORT: keep nothing
                session.queued.add(args);
                session.queuedBytes += bytes;
            }
            Reply.write(out, Reply.QUEUED);
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
        return new String(raw, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT);
    }

    private static boolean isTransactionControl(String name) {
        return name.equals("EXEC") || name.equals("DISCARD") || name.equals("MULTI") || name.equals("QUIT");
    }

    static final java.util.Set<String> KNOWN = java.util.Set.of("PING", "ECHO", "QUIT", "SELECT", "AUTH", "HELLO",
            "CLIENT", "COMMAND", "CONFIG", "INFO", "DBSIZE", "FLUSHALL", "FLUSHDB", "TIME", "SHUTDOWN", "GET", "SET",
            "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MGET", "MSET", "MSETNX", "APPEND", "STRLEN",
            "INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT", "DEL", "UNLINK", "EXISTS", "TYPE", "EXPIRE", "PEXPIRE",
            "EXPIREAT", "PEXPIREAT", "PERSIST", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "SCAN", "KEYS",
            "RANDOMKEY", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH");

    private boolean run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "GET" -> {
                arity(a, 2);
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
                arity(a, 2);
                Reply.bulk(out, a[1]);
            }
            case "QUIT" -> {
                Reply.write(out, Reply.OK);
                return false;
            }
            case "SELECT" -> {
                arity(a, 2);
                if (parseLong(a[1]) != 0) {
                    throw new CommandError("ERR DB index is out of range");
                }
                Reply.write(out, Reply.OK);
            }
            case "AUTH" -> auth(s, a, out);
            case "HELLO" -> hello(s, a, out);
            case "CLIENT" -> client(s, a, out);
            case "COMMAND" -> command(a, out);
            case "CONFIG" -> config(s, a, out);
            case "INFO" -> Reply.bulk(out, info(a.length > 1 ? text(a[1]) : "default"));
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
                arity(a, 3);
                Reply.integer(out, store.putIfAbsent(a[1], a[2]) ? 1 : 0);
            }
            case "SETEX", "PSETEX" -> {
                arity(a, 4);
                long ttl = parseLong(a[2]);
                if (ttl <= 0) {
                    throw new CommandError("ERR invalid expire time in '" + name.toLowerCase(Locale.ROOT) + "' command");
                }
                store.put(a[1], a[3], deadline(name.equals("SETEX") ? multiply(ttl, 1000) : ttl));
                Reply.write(out, Reply.OK);
            }
            case "GETSET" -> {
                arity(a, 3);
                Reply.bulkOrNil(out, store.getAndPut(a[1], a[2]), s.protocol);
            }
            case "GETDEL" -> {
                arity(a, 2);
                Reply.bulkOrNil(out, store.getAndDelete(a[1]), s.protocol);
            }
            case "GETEX" -> getex(s, a, out);
            case "MGET" -> {
                minArity(a, 2);
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
                    Reply.integer(out, store.putAllIfAbsent(keys, values) ? 1 : 0);
                }
            }
            case "APPEND" -> {
                arity(a, 3);
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
                arity(a, 2);
                byte[] v = store.get(a[1]);
                Reply.integer(out, v == null ? 0 : v.length);
            }
            case "INCR" -> increment(a, 2, out, 1);
            case "DECR" -> increment(a, 2, out, -1);
            case "INCRBY" -> {
                arity(a, 3);
                increment(a, 3, out, parseLong(a[2]));
            }
            case "DECRBY" -> {
                arity(a, 3);
                long by = parseLong(a[2]);
                if (by == Long.MIN_VALUE) {
                    throw new CommandError("ERR decrement would overflow");
                }
                increment(a, 3, out, -by);
            }
            case "INCRBYFLOAT" -> incrementFloat(a, out);
            case "DEL", "UNLINK" -> {
                minArity(a, 2);
                Reply.integer(out, a.length == 2 ? (store.delete(a[1]) ? 1 : 0)
                        : store.deleteAll(java.util.Arrays.copyOfRange(a, 1, a.length)));
            }
            case "EXISTS" -> {
                minArity(a, 2);
                long n = 0;
                for (int i = 1; i < a.length; i++) {
                    n += store.contains(a[i]) ? 1 : 0;
                }
                Reply.integer(out, n);
            }
            case "TYPE" -> {
                arity(a, 2);
                Reply.simple(out, store.contains(a[1]) ? "string" : "none");
            }
            case "EXPIRE" -> expire(a, out, 1000, false);
            case "PEXPIRE" -> expire(a, out, 1, false);
            case "EXPIREAT" -> expire(a, out, 1000, true);
            case "PEXPIREAT" -> expire(a, out, 1, true);
            case "PERSIST" -> {
                arity(a, 2);
                boolean[] changed = {false};
                store.update(a[1], (v, exp) -> {
                    changed[0] = v != null && exp != 0;
                    return changed[0] ? Update.put(v, 0) : Update.keep();
                });
                Reply.integer(out, changed[0] ? 1 : 0);
            }
            case "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME" -> {
                arity(a, 2);
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
                arity(a, 2);
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
            default -> Reply.error(out, unknown(a));
        }
        return true;
    }

    // ------------------------------------------------------------------ strings

    private void set(Session s, byte[][] a, ByteBuf out) {
        minArity(a, 3);
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        boolean keepTtl = false;
        long expireAt = 0;
        for (int i = 3; i < a.length; i++) {
            String option = text(a[i]).toUpperCase(Locale.ROOT);
            switch (option) {
                case "NX" -> nx = true;
                case "XX" -> xx = true;
                case "GET" -> get = true;
                case "KEEPTTL" -> keepTtl = true;
                case "EX", "PX", "EXAT", "PXAT" -> {
                    if (i + 1 >= a.length || expireAt != 0) {
                        throw new CommandError("ERR syntax error");
                    }
                    long n = parseLong(a[++i]);
                    if (n <= 0) {
                        throw new CommandError("ERR invalid expire time in 'set' command");
                    }
                    expireAt = switch (option) {
                        case "EX" -> deadline(multiply(n, 1000));
                        case "PX" -> deadline(n);
                        case "EXAT" -> multiply(n, 1000);
                        default -> n;
                    };
                }
                default -> throw new CommandError("ERR syntax error");
            }
        }
        if ((nx && xx) || (keepTtl && expireAt != 0)) {
            throw new CommandError("ERR syntax error");
        }
        if (!nx && !xx && !get && !keepTtl) {
            // The common SET: a plain write (which also clears any TTL), with no read of the old value.
            store.put(a[1], a[2], expireAt);
            Reply.write(out, Reply.OK);
            return;
        }
        final boolean onlyIfAbsent = nx;
        final boolean onlyIfPresent = xx;
        final boolean keep = keepTtl;
        final long expiry = expireAt;
        byte[] value = a[2];
        byte[][] previous = {null};
        boolean[] written = {false};
        store.update(a[1], (current, currentExpiry) -> {
            previous[0] = current;
            written[0] = !(onlyIfAbsent && current != null) && !(onlyIfPresent && current == null);
            if (!written[0]) {
                return Update.keep();
            }
            return Update.put(value, keep && current != null ? currentExpiry : expiry);
        });
        if (get) {
            Reply.bulkOrNil(out, previous[0], s.protocol);
        } else if (written[0]) {
            Reply.write(out, Reply.OK);
        } else {
            Reply.nil(out, s.protocol);
        }
    }

    private void getex(Session s, byte[][] a, ByteBuf out) {
        minArity(a, 2);
        long expireAt = -1; // -1: leave the expiry alone
        for (int i = 2; i < a.length; i++) {
            String option = text(a[i]).toUpperCase(Locale.ROOT);
            if (option.equals("PERSIST") && expireAt == -1) {
                expireAt = 0;
            } else if ((option.equals("EX") || option.equals("PX") || option.equals("EXAT") || option.equals("PXAT"))
                    && i + 1 < a.length && expireAt == -1) {
                long n = parseLong(a[++i]);
                if (n <= 0) {
                    throw new CommandError("ERR invalid expire time in 'getex' command");
                }
                expireAt = switch (option) {
                    case "EX" -> deadline(multiply(n, 1000));
                    case "PX" -> deadline(n);
                    case "EXAT" -> multiply(n, 1000);
                    default -> n;
                };
            } else {
                throw new CommandError("ERR syntax error");
            }
        }
        final long target = expireAt;
        byte[][] value = {null};
        store.update(a[1], (current, currentExpiry) -> {
            value[0] = current;
            if (current == null || target == -1 || target == currentExpiry) {
                return Update.keep();
            }
            return Update.put(current, target);
        });
        Reply.bulkOrNil(out, value[0], s.protocol);
    }

    private void increment(byte[][] a, int arity, ByteBuf out, long by) {
        arity(a, arity);
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

    private void incrementFloat(byte[][] a, ByteBuf out) {
        arity(a, 3);
        double by = parseDouble(a[2]);
        byte[] result = store.compute(a[1], v -> {
            double sum = (v == null ? 0 : parseDouble(v)) + by;
            if (Double.isInfinite(sum) || Double.isNaN(sum)) {
                throw new CommandError("ERR increment would produce NaN or Infinity");
            }
            // Shortest decimal that reads back as the same double, without an exponent, as Redis prints it.
            return new BigDecimal(Double.toString(sum)).stripTrailingZeros().toPlainString()
                    .getBytes(StandardCharsets.US_ASCII);
        });
        Reply.bulk(out, result);
    }

    private void expire(byte[][] a, ByteBuf out, long unitMillis, boolean absolute) {
        minArity(a, 3);
        long n = parseLong(a[2]);
        long at = absolute ? multiply(n, unitMillis) : deadline(multiply(n, unitMillis));
        String condition = a.length > 3 ? text(a[3]).toUpperCase(Locale.ROOT) : "";
        if (a.length > 4 || !(condition.isEmpty() || condition.equals("NX") || condition.equals("XX")
                || condition.equals("GT") || condition.equals("LT"))) {
            throw new CommandError("ERR Unsupported option " + (a.length > 3 ? text(a[3]) : ""));
        }
        boolean[] changed = {false};
        long now = System.currentTimeMillis();
        store.update(a[1], (v, exp) -> {
            changed[0] = false;
            if (v == null) {
                return Update.keep();
            }
            boolean allowed = switch (condition) {
                case "NX" -> exp == 0;
                case "XX" -> exp != 0;
                case "GT" -> exp != 0 && at > exp;
                case "LT" -> exp == 0 || at < exp;
                default -> true;
            };
            if (!allowed) {
                return Update.keep();
            }
            changed[0] = true;
            return at <= now ? Update.delete() : Update.put(v, at);
        });
        Reply.integer(out, changed[0] ? 1 : 0);
    }

    // ------------------------------------------------------------------ keyspace

    private void scan(byte[][] a, ByteBuf out) {
        minArity(a, 2);
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
        if (a.length < 2 || a.length > 3) {
            throw wrongArity(a);
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
        minArity(a, 2);
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "SETNAME" -> {
                arity(a, 3);
                s.name = text(a[2]);
                Reply.write(out, Reply.OK);
            }
            case "GETNAME" -> Reply.bulkOrNil(out, s.name == null ? null : s.name.getBytes(StandardCharsets.UTF_8),
                    s.protocol);
            case "ID" -> Reply.integer(out, s.id);
            case "SETINFO" -> {
                arity(a, 4);
                Reply.write(out, Reply.OK);
            }
            case "INFO" -> Reply.bulk(out, "id=" + s.id + " name=" + (s.name == null ? "" : s.name) + " db=0 resp="
                    + s.protocol + "\n");
            default -> throw new CommandError("ERR unknown subcommand '" + text(a[1]) + "'. Try CLIENT HELP.");
        }
    }

    private void command(byte[][] a, ByteBuf out) {
        String sub = a.length > 1 ? text(a[1]).toUpperCase(Locale.ROOT) : "";
        if (sub.equals("COUNT")) {
            Reply.integer(out, KNOWN.size());
        } else {
            Reply.write(out, Reply.EMPTY_ARRAY); // COMMAND, COMMAND DOCS, COMMAND INFO: minimal but valid
        }
    }

    private void config(Session s, byte[][] a, ByteBuf out) {
        minArity(a, 2);
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "GET" -> {
                minArity(a, 3);
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
            default -> throw new CommandError("ERR unknown subcommand '" + text(a[1]) + "'. Try CONFIG HELP.");
        }
    }

    /**
     * Records the version of each key's stripe, and the key's expiry: EXEC aborts if a stripe's version moved on or
     * a key that had a TTL expired meanwhile. A watching session keeps the key locks guarded, so every write from
     * now on moves its stripe's version; a write still running now may move it after it is read, which can only
     * abort the EXEC needlessly.
     */
    private void watch(Session s, byte[][] a, ByteBuf out) {
        minArity(a, 2);
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
            KeySpec spec = KeySpec.of(commandName(command[0]));
            if (spec == null) {
                continue;
            }
            everyKey |= spec.everyKey();
            int keys = spec.keyCount(command);
            marked = s.stripes(n + keys);
            for (int k = 0; k < keys; k++) {
                marked[n++] = KeyLocks.mark(locks.stripe(spec.key(command, k)), spec.writes());
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
        try {
            if (!watchedUnchanged(s)) {
                Reply.write(out, s.protocol == 3 ? Reply.NULL_RESP3 : Reply.NULL_ARRAY);
                return;
            }
            ran = true;
            s.inExec = true;
            Reply.arrayHeader(out, commands.size());
            for (byte[][] command : commands) {
                execute(s, command, out);
            }
        } finally {
            s.inExec = false;
            if (everyKey) {
                unlockEveryStripe(ran);
            } else {
                for (int i = 0; i < count; i++) {
                    locks.unlockExclusive(KeyLocks.stripeOf(marked[i]), ran && KeyLocks.writes(marked[i]));
                }
            }
            locks.unguard();
            unwatch(s);
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

    String info(String section) {
        String which = section.toLowerCase(Locale.ROOT);
        boolean all = which.equals("all") || which.equals("everything") || which.equals("default");
        NibbleStats st = store.stats();
        StringBuilder b = new StringBuilder();
        if (all || which.equals("server")) {
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
        if (all || which.equals("clients")) {
            b.append("# Clients\r\nconnected_clients:").append(stats.connectedClients.get())
                    .append("\r\nmaxclients:").append(config.limits().maxClients()).append("\r\n\r\n");
        }
        if (all || which.equals("memory")) {
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
        if (all || which.equals("stats")) {
            b.append("# Stats\r\ntotal_connections_received:").append(stats.connectionsReceived.get())
                    .append("\r\ntotal_commands_processed:").append(stats.commands.sum())
                    .append("\r\nrejected_connections:").append(stats.rejectedConnections.get())
                    .append("\r\nprotocol_errors:").append(stats.protocolErrors.get())
                    .append("\r\nnibble_full_rejections:").append(st.fullRejections()).append("\r\n\r\n");
        }
        if (all || which.equals("keyspace")) {
            b.append("# Keyspace\r\n");
            if (st.keys() > 0) {
                b.append("db0:keys=").append(st.keys()).append("\r\n");
            }
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ argument parsing

    private static void arity(byte[][] a, int n) {
        if (a.length != n) {
            throw wrongArity(a);
        }
    }

    private static void minArity(byte[][] a, int n) {
        if (a.length < n) {
            throw wrongArity(a);
        }
    }

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
        if (b.length == 0 || b.length > 20 || b[0] == '+' || (b[0] == '0' && b.length > 1)
                || (b[0] == '-' && (b.length == 1 || b[1] == '0'))) {
            throw new CommandError("ERR value is not an integer or out of range");
        }
        try {
            return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new CommandError("ERR value is not an integer or out of range");
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

    private static double parseDouble(byte[] b) {
        String s = new String(b, StandardCharsets.US_ASCII);
        if (s.isEmpty() || s.length() > 400 || !s.equals(s.strip())) {
            throw new CommandError("ERR value is not a valid float");
        }
        try {
            double d = Double.parseDouble(s);
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new CommandError("ERR value is not a valid float");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new CommandError("ERR value is not a valid float");
        }
    }

    private static long multiply(long n, long factor) {
        try {
            return Math.multiplyExact(n, factor);
        } catch (ArithmeticException e) {
            throw new CommandError("ERR invalid expire time");
        }
    }

    private static long deadline(long millisFromNow) {
        try {
            return Math.addExact(System.currentTimeMillis(), millisFromNow);
        } catch (ArithmeticException e) {
            throw new CommandError("ERR invalid expire time");
        }
    }

    /** Counters INFO reports. */
    static final class ServerStats {
        final long startMillis = System.currentTimeMillis();
        /** Counted by every I/O thread on every command: striped, so the threads do not share one cache line. */
        final LongAdder commands = new LongAdder();
        final AtomicLong connectionsReceived = new AtomicLong();
        final AtomicLong rejectedConnections = new AtomicLong();
        final AtomicLong protocolErrors = new AtomicLong();
        final java.util.concurrent.atomic.AtomicInteger connectedClients = new java.util.concurrent.atomic.AtomicInteger();
        /** Event loops currently taking connections. */
        volatile java.util.function.IntSupplier activeLoops = () -> 1;

        /** CONFIG RESETSTAT: the counters restart from zero; gauges (clients, loops) stay as they are. */
        void reset() {
            commands.reset();
            connectionsReceived.set(0);
            rejectedConnections.set(0);
            protocolErrors.set(0);
        }

        long uptimeSeconds() {
            return (System.currentTimeMillis() - startMillis) / 1000;
        }
    }
}
