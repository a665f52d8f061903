package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import io.nibble.Nibble;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Writes RESP2 and RESP3 replies into an output buffer. The most common replies are pre-built once and copied,
 * never formatted per request.
 */
final class Reply {
    private static final byte[] CRLF = {'\r', '\n'};
    static final ByteBuf OK = constant("+OK\r\n");
    static final ByteBuf PONG = constant("+PONG\r\n");
    static final ByteBuf QUEUED = constant("+QUEUED\r\n");
    static final ByteBuf NULL_BULK = constant("$-1\r\n");
    static final ByteBuf NULL_ARRAY = constant("*-1\r\n");
    static final ByteBuf NULL_RESP3 = constant("_\r\n");
    static final ByteBuf ZERO = constant(":0\r\n");
    static final ByteBuf ONE = constant(":1\r\n");
    static final ByteBuf EMPTY_ARRAY = constant("*0\r\n");
    private static final byte[][] SMALL_INTEGERS = new byte[1024][];

    static {
        for (int i = 0; i < SMALL_INTEGERS.length; i++) {
            SMALL_INTEGERS[i] = Integer.toString(i).getBytes(StandardCharsets.US_ASCII);
        }
    }

    private Reply() { }

    private static ByteBuf constant(String s) {
        return Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(s.getBytes(StandardCharsets.US_ASCII))
                .asReadOnly());
    }

    static void write(ByteBuf out, ByteBuf constant) {
        out.writeBytes(constant, constant.readerIndex(), constant.readableBytes());
    }

    static void simple(ByteBuf out, String text) {
        out.writeByte('+').writeCharSequence(text, StandardCharsets.UTF_8);
        out.writeBytes(CRLF);
    }

    /** An error reply; {@code text} starts with its code ({@code ERR}, {@code WRONGTYPE}...). */
    static void error(ByteBuf out, String text) {
        out.writeByte('-').writeCharSequence(text.replace('\r', ' ').replace('\n', ' '), StandardCharsets.UTF_8);
        out.writeBytes(CRLF);
    }

    static void integer(ByteBuf out, long n) {
        if (n == 0) {
            write(out, ZERO);
        } else if (n == 1) {
            write(out, ONE);
        } else {
            out.writeByte(':');
            number(out, n);
            out.writeBytes(CRLF);
        }
    }

    static void bulk(ByteBuf out, byte[] value) {
        out.writeByte('$');
        number(out, value.length);
        out.writeBytes(CRLF).writeBytes(value).writeBytes(CRLF);
    }

    static void bulk(ByteBuf out, String value) {
        bulk(out, value.getBytes(StandardCharsets.UTF_8));
    }

    /** The null reply: {@code $-1} in RESP2, {@code _} in RESP3. */
    static void nil(ByteBuf out, int protocol) {
        write(out, protocol >= 3 ? NULL_RESP3 : NULL_BULK);
    }

    /** Bytes of the header {@code $<length>\r\n}. */
    static int bulkHeaderLength(long length) {
        return 3 + digits(length);
    }

    private static int digits(long n) {
        int d = 1;
        while (n >= 10) {
            n /= 10;
            d++;
        }
        return d;
    }

    /**
     * The value of {@code key} as a bulk reply, or the null reply, copied from the store straight into {@code out}
     * with no intermediate array. {@code expected} is the length to plan room for (the caller's last value length);
     * the value is read after a header sized for it and moved when its real length needs a different header.
     *
     * @return the value's length, or -1 when absent
     */
    static long bulkFromStore(ByteBuf out, Nibble store, byte[] key, int expected, int protocol) {
        if (out.nioBufferCount() != 1) { // a view of several buffers: the window would be a copy
            byte[] value = store.get(key);
            bulkOrNil(out, value, protocol);
            return value == null ? -1 : value.length;
        }
        int start = out.writerIndex();
        int guess = Math.max(expected, 0);
        for (;;) {
            int header = bulkHeaderLength(guess);
            out.ensureWritable(header + guess + CRLF.length);
            int room = out.capacity() - start - header - CRLF.length;
            MemorySegment window = MemorySegment.ofBuffer(
                    out.nioBuffer(start, header + room));
            long length = store.get(key, window.asSlice(header, room));
            if (length < 0) {
                nil(out, protocol);
                return -1;
            }
            int actual = bulkHeaderLength(length);
            if (length + Math.max(0, actual - header) > room) {
                guess = (int) length; // longer than planned for, or its wider header leaves no room: retry
                continue;
            }
            if (actual != header) {
                MemorySegment.copy(window, header, window, actual, length);
            }
            out.writeByte('$');
            number(out, length);
            out.writeBytes(CRLF);
            out.writerIndex(start + actual + (int) length);
            out.writeBytes(CRLF);
            return length;
        }
    }

    /** A value or the null reply. */
    static void bulkOrNil(ByteBuf out, byte[] value, int protocol) {
        if (value == null) {
            nil(out, protocol);
        } else {
            bulk(out, value);
        }
    }

    static void arrayHeader(ByteBuf out, int count) {
        out.writeByte('*');
        number(out, count);
        out.writeBytes(CRLF);
    }

    /**
     * A floating-point number as Redis writes one (C's {@code %.17g}): a RESP3 double, a bulk string in RESP2.
     */
    static void decimal(ByteBuf out, double value, int protocol) {
        String text = formatG17(value);
        if (protocol >= 3) {
            out.writeByte(',');
            out.writeCharSequence(text, StandardCharsets.US_ASCII);
            out.writeBytes(CRLF);
        } else {
            bulk(out, text);
        }
    }

    /**
     * C's {@code %.17g} for a finite double: the exact binary value rounded to 17 significant digits, trailing
     * zeros dropped, in exponent form below 1e-4 or from 1e17. Java's own {@code %g} pads instead of rounding.
     */
    static String formatG17(double value) {
        if (value == 0) {
            return "0";
        }
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(17, RoundingMode.HALF_EVEN));
        int exponent = rounded.precision() - rounded.scale() - 1;
        if (exponent >= -4 && exponent < 17) {
            return rounded.stripTrailingZeros().toPlainString();
        }
        String mantissa = rounded.movePointLeft(exponent).stripTrailingZeros().toPlainString();
        return mantissa + (exponent < 0 ? "e-" : "e+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    }

    /** A map of {@code pairs} entries: {@code %} in RESP3, a flat array in RESP2. */
    static void mapHeader(ByteBuf out, int pairs, int protocol) {
        out.writeByte(protocol >= 3 ? '%' : '*');
        number(out, protocol >= 3 ? pairs : 2L * pairs);
        out.writeBytes(CRLF);
    }

    static void number(ByteBuf out, long n) {
        if (n >= 0 && n < SMALL_INTEGERS.length) {
            out.writeBytes(SMALL_INTEGERS[(int) n]);
        } else {
            out.writeCharSequence(Long.toString(n), StandardCharsets.US_ASCII);
        }
    }

    /**
     * Text for people (INFO, CLIENT LIST...): a verbatim string marked {@code txt} in RESP3, as Redis sends it, and a
     * bulk string in RESP2.
     */
    static void verbatim(ByteBuf out, String text, int protocol) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (protocol < 3) {
            bulk(out, bytes);
            return;
        }
        out.writeByte('=');
        number(out, bytes.length + 4L);
        out.writeBytes(CRLF);
        out.writeCharSequence("txt:", StandardCharsets.US_ASCII);
        out.writeBytes(bytes);
        out.writeBytes(CRLF);
    }

    /** A HELP reply: one status line per line of text. */
    static void help(ByteBuf out, String... lines) {
        arrayHeader(out, lines.length);
        for (String line : lines) {
            simple(out, line);
        }
    }
}
