package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.nibble.Nibble;
import io.nibble.Update;

import java.util.Arrays;
import java.util.Locale;

import static io.nibble.server.Arguments.parseLong;
import static io.nibble.server.Arguments.text;

/** The bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS and BITOP (bit work in {@link BitOps}). */
final class BitmapCommands {
    private final Nibble store;
    private final RespLimits limits;

    BitmapCommands(Nibble store, RespLimits limits) {
        this.store = store;
        this.limits = limits;
    }

    void run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "SETBIT" -> setBit(s, a, out);
            case "GETBIT" -> {
                long offset = bitOffset(a[2]);
                byte[] v = store.get(a[1]);
                Reply.integer(out, v != null && BitOps.get(v, offset) ? 1 : 0);
            }
            case "BITCOUNT" -> bitCount(a, out);
            case "BITPOS" -> bitPos(a, out);
            case "BITOP" -> bitOp(s, a, out);
            default -> throw new IllegalStateException(name + " is in the command table but has no case here");
        }
    }

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
        byte[] result = BitOps.combine(op, store.getAll(Arrays.copyOfRange(a, 3, a.length)));
        if (result.length == 0) {
            s.unchanged = !store.delete(a[2]);
        } else {
            store.put(a[2], result, 0);
        }
        Reply.integer(out, result.length);
    }
}
