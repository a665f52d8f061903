package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.nibble.Nibble;
import io.nibble.Update;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import static io.nibble.server.Arguments.deadline;
import static io.nibble.server.Arguments.multiply;
import static io.nibble.server.Arguments.parseLong;
import static io.nibble.server.Arguments.parseUnsigned;
import static io.nibble.server.Arguments.text;

/**
 * The commands on keys whatever their value (Redis's "generic" group): DEL, EXISTS, TYPE, the expiry commands,
 * SCAN, KEYS, RANDOMKEY, RENAME, COPY and OBJECT.
 */
final class KeyCommands {
    private final Nibble store;

    KeyCommands(Nibble store) {
        this.store = store;
    }

    void run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "DEL", "UNLINK" -> {
                long deleted;
                if (a.length == 2) {
                    deleted = store.delete(a[1]) ? 1 : 0;
                } else {
                    s.changedPerKey = new boolean[a.length - 1];
                    deleted = store.deleteAll(Arrays.copyOfRange(a, 1, a.length), s.changedPerKey);
                }
                s.unchanged = deleted == 0 && s.changedPerKey == null; // several keys: changedPerKey says which
                Reply.integer(out, deleted);
            }
            case "WAIT" -> waitForReplicas(s, a, out);
            case "EXISTS", "TOUCH" -> {
                long n = 0;
                for (int i = 1; i < a.length; i++) {
                    n += store.contains(a[i]) ? 1 : 0;
                }
                Reply.integer(out, n);
            }
            case "TYPE" -> Reply.simple(out, store.contains(a[1]) ? "string" : "none");
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
            case "RENAME", "RENAMENX" -> rename(s, a, out, name.equals("RENAMENX"));
            case "COPY" -> copy(s, a, out);
            case "OBJECT" -> object(s, a, out);
            default -> throw new IllegalStateException(name + " is in the command table but has no case here");
        }
    }

    /**
     * WAIT numreplicas timeout, as Redis answers it with no replicas: none can acknowledge, so asking for none (or
     * asking inside MULTI, where nothing may block) answers 0 at once, and asking for any blocks the connection
     * until the timeout (0: for ever), then answers 0.
     */
    private static void waitForReplicas(Session s, byte[][] a, ByteBuf out) {
        long replicas = Arguments.parseLong(a[1]);
        long timeout = Arguments.parseLong(a[2], "ERR timeout is not an integer or out of range");
        if (timeout < 0) {
            throw new CommandError("ERR timeout is negative");
        }
        if (timeout > 0 && timeout > Long.MAX_VALUE - System.currentTimeMillis()) {
            throw new CommandError("ERR timeout is out of range");
        }
        if (replicas <= 0 || s.inExec) {
            Reply.integer(out, 0);
        } else {
            s.block = new Session.Block(timeout, reply -> Reply.integer(reply, 0), true);
        }
    }

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

    /** RENAME and RENAMENX; they hold both keys' stripes exclusively (see {@code Commands.runExclusive}). */
    private void rename(Session s, byte[][] a, ByteBuf out, boolean onlyIfAbsent) {
        Entry source = read(a[1]);
        if (source == null) {
            throw new CommandError("ERR no such key");
        }
        boolean same = Arrays.equals(a[1], a[2]);
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
        if (Arrays.equals(a[1], a[2])) {
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

    private void object(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "HELP" -> Reply.help(out, "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
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
}
