package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.nibble.Nibble;
import io.nibble.Update;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static io.nibble.server.Arguments.expireTime;
import static io.nibble.server.Arguments.parseLong;
import static io.nibble.server.Arguments.parseStoredLong;
import static io.nibble.server.Arguments.text;
import static io.nibble.server.Arguments.wrongArity;

/**
 * The string commands: GET and SET with their variants, the multi-key MGET, MSET and MSETNX, counters, ranges and
 * LCS. Each gets its atomicity from one engine operation on its key (or keys), never from a server lock.
 */
final class StringCommands {
    private final Nibble store;
    private final RespLimits limits;

    StringCommands(Nibble store, RespLimits limits) {
        this.store = store;
        this.limits = limits;
    }

    void run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "GET" -> {
                long length = Reply.bulkFromStore(out, store, a[1], s.lastValueLength, s.protocol);
                if (length >= 0) {
                    s.lastValueLength = (int) length;
                }
            }
            case "SET" -> set(s, a, out);
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
            case "GETSET" -> Reply.bulkOrNil(out, store.getAndPut(a[1], a[2]), s.protocol);
            case "GETDEL" -> {
                byte[] value = store.getAndDelete(a[1]);
                s.unchanged = value == null;
                Reply.bulkOrNil(out, value, s.protocol);
            }
            case "GETEX" -> getex(s, a, out);
            case "MGET" -> {
                // One snapshot of all keys, so an MSET or multi-key DEL is seen whole or not at all.
                byte[][] values = store.getAll(Arrays.copyOfRange(a, 1, a.length));
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
                    byte[] joined = Arrays.copyOf(v, v.length + suffix.length);
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
            case "GETRANGE", "SUBSTR" -> {
                long start = parseLong(a[2]);
                long end = parseLong(a[3]);
                byte[] v = store.get(a[1]);
                Reply.bulk(out, v == null ? new byte[0] : range(v, start, end));
            }
            case "SETRANGE" -> setRange(s, a, out);
            case "LCS" -> lcs(s, a, out);
            default -> throw new IllegalStateException(name + " is in the command table but has no case here");
        }
    }

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
     * Redis 7's GETRANGE: inclusive offsets, negative ones counting from the end; both clamp into the value, so a
     * negative end before the start still yields the first byte, unless both offsets are negative and crossed.
     */
    static byte[] range(byte[] v, long start, long end) {
        long[] r = start < 0 && end < 0 && start > end ? null : Ranges.clamp(v.length, start, end);
        return r == null ? new byte[0] : Arrays.copyOfRange(v, (int) r[0], (int) r[1] + 1);
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
            byte[] next = Arrays.copyOf(v == null ? new byte[0] : v, (int) Math.max(current, length));
            System.arraycopy(patch, 0, next, (int) offset, patch.length);
            result[0] = next.length;
            return Update.put(next, exp);
        });
        s.unchanged = patch.length == 0;
        Reply.integer(out, result[0]);
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
}
