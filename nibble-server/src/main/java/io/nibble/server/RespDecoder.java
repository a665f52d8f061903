package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;

import java.util.ArrayList;
import java.util.List;

/**
 * Decodes client requests straight from the network buffer: RESP multibulk arrays of bulk strings
 * ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}) and inline commands ({@code PING\r\n}).
 *
 * <p>A state machine: it consumes each complete header or bulk as soon as it has arrived and remembers where it is
 * between reads, so input split at any byte decodes the same and a large bulk is read once. Every length is
 * checked against {@link RespLimits} before anything is allocated for it. Each command comes out as a
 * {@code byte[][]} of its arguments; a broken frame throws {@link RespProtocolException}.
 *
 * <p>A bulk of {@link #BIG_BULK} bytes or more is copied out of the network buffer as its bytes arrive, into an
 * array of up to 1 MiB that then doubles up to the announced length, so the buffer never accumulates it (which would
 * copy it again on every read) and what it holds follows what the client has sent, not what it announced. The bytes
 * of a command still arriving count against the server's {@link InputBudget}; past it, the connection is refused.
 */
public final class RespDecoder extends ByteToMessageDecoder {
    /** Bulks this long or longer bypass the network buffer (Redis's threshold for its big-argument path). */
    static final int BIG_BULK = 32 << 10;

    private static final System.Logger LOG = System.getLogger("io.nibble.server");

    private final RespLimits limits;
    /** The arguments of the command being read, counted against the server-wide budget. */
    private final InputBudget.Share held;
    /** The big bulk being read, grown as it arrives; null when none. */
    private byte[] bigBulk;
    private int bigFilled;
    /** Arguments of the multibulk command being read; null between commands. */
    private byte[][] args;
    private int filled;
    /** Arguments the multibulk header announced. */
    private int expected;
    /** Length of the bulk whose header was read and whose bytes have not all arrived yet; -1 when none. */
    private int bulkLength = -1;
    /** Set once a frame was rejected: the connection is closing and later bytes are discarded unread. */
    private boolean failed;

    public RespDecoder(RespLimits limits) {
        this(limits, new InputBudget(limits.maxInputBytes()));
    }

    RespDecoder(RespLimits limits, InputBudget budget) {
        this.limits = limits;
        this.held = budget.new Share();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            while (in.isReadable()) {
                byte[][] command = args == null ? startCommand(in) : continueCommand(in);
                if (command == null) {
                    return; // wait for more bytes
                }
                if (command.length > 0) {
                    out.add(command);
                }
            }
        } catch (RespProtocolException e) {
            failed = true;
            forget();
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /** Bytes received and not yet taken out of the network buffer. */
    int bufferedBytes() {
        return actualReadableBytes();
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        forget(); // the connection closed: a command it left unfinished holds nothing any more
    }

    private void forget() {
        args = null;
        bigBulk = null;
        bigFilled = 0;
        held.releaseAll();
    }

    private void hold(long bytes) {
        if (!held.hold(bytes)) {
            LOG.log(System.Logger.Level.WARNING, "refusing a command: with it, unfinished commands would hold more "
                    + "than max-input-bytes (" + held.limit() + " bytes)");
            throw new RespProtocolException("unfinished commands of all clients would hold more than "
                    + "max-input-bytes");
        }
    }

    /** Reads a multibulk header or a whole inline command; null when more bytes are needed. */
    private byte[][] startCommand(ByteBuf in) {
        if (in.getByte(in.readerIndex()) == '*') {
            int eol = findLineEnd(in);
            if (eol < 0) {
                return null;
            }
            long count = parseNumber(in, in.readerIndex() + 1, eol, "multibulk length");
            in.readerIndex(eol + 2);
            if (count > limits.maxArguments()) {
                throw new RespProtocolException("invalid multibulk length");
            }
            if (count <= 0) {
                return new byte[0][]; // Redis ignores empty and null arrays
            }
            expected = (int) count;
            // Grow towards the announced count as arguments arrive: a header alone reserves little.
            args = new byte[(int) Math.min(count, 1024)][];
            filled = 0;
            bulkLength = -1;
            return continueCommand(in);
        }
        return inline(in);
    }

    private byte[][] continueCommand(ByteBuf in) {
        while (filled < expected) {
            if (bulkLength < 0) {
                if (!in.isReadable()) {
                    return null;
                }
                byte first = in.getByte(in.readerIndex());
                if (first != '$') {
                    throw new RespProtocolException("expected '$', got '" + printable(first) + "'");
                }
                int eol = findLineEnd(in);
                if (eol < 0) {
                    return null;
                }
                long length = parseNumber(in, in.readerIndex() + 1, eol, "bulk length");
                if (length < 0 || length > limits.maxBulkLength()) {
                    throw new RespProtocolException("invalid bulk length");
                }
                in.readerIndex(eol + 2);
                bulkLength = (int) length;
            }
            byte[] arg;
            if (bulkLength >= BIG_BULK) {
                arg = bigBulk(in);
            } else if (in.readableBytes() >= bulkLength + 2) {
                arg = new byte[bulkLength];
                in.readBytes(arg);
                hold(bulkLength + ARGUMENT_OVERHEAD);
            } else {
                arg = null;
            }
            if (arg == null) {
                return null;
            }
            if (in.readByte() != '\r' || in.readByte() != '\n') {
                throw new RespProtocolException("bulk string not terminated by CRLF");
            }
            if (filled == args.length) {
                args = java.util.Arrays.copyOf(args, (int) Math.min(expected, 2L * args.length));
            }
            args[filled++] = arg;
            bulkLength = -1;
        }
        byte[][] done = args.length == filled ? args : java.util.Arrays.copyOf(args, filled);
        args = null;
        held.releaseAll(); // the command leaves the decoder: from here on it is the handler's
        return done;
    }

    /**
     * The first array a big bulk gets, unless it is shorter: a bulk up to this long is copied once, and a client that
     * announces a longer one and stalls holds no more than this.
     */
    private static final int FIRST_BIG_ARRAY = 1 << 20;

    /** Array header and reference: what an argument costs beyond its bytes. */
    private static final int ARGUMENT_OVERHEAD = 24;

    /**
     * Copies what has arrived of a big bulk into its array, doubling the array up to the bulk's length; returns the
     * finished array once all its bytes and its CRLF are readable, else null.
     */
    private byte[] bigBulk(ByteBuf in) {
        int n = Math.min(bulkLength - bigFilled, in.readableBytes());
        if (n > 0) {
            int capacity = bigBulk == null ? 0 : bigBulk.length;
            if (bigFilled + n > capacity) {
                int grown = (int) Math.min(bulkLength,
                        Math.max(bigFilled + (long) n, Math.max(FIRST_BIG_ARRAY, 2L * capacity)));
                hold(grown - capacity + (capacity == 0 ? ARGUMENT_OVERHEAD : 0));
                bigBulk = bigBulk == null ? new byte[grown] : java.util.Arrays.copyOf(bigBulk, grown);
            }
            in.readBytes(bigBulk, bigFilled, n);
            bigFilled += n;
        }
        if (bigFilled < bulkLength || in.readableBytes() < 2) {
            return null;
        }
        byte[] done = bigBulk; // exactly bulkLength long: the array never grows past the announced length
        bigBulk = null;
        bigFilled = 0;
        return done;
    }

    /** An inline command: words separated by spaces, up to LF (a CR before it is dropped). */
    private byte[][] inline(ByteBuf in) {
        int start = in.readerIndex();
        int searchable = Math.min(in.readableBytes(), limits.maxInlineLength() + 2);
        int lf = in.indexOf(start, start + searchable, (byte) '\n');
        if (lf < 0) {
            if (in.readableBytes() > limits.maxInlineLength()) {
                throw new RespProtocolException("too big inline request");
            }
            return null;
        }
        int end = lf > start && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        List<byte[]> words = new ArrayList<>();
        int i = start;
        while (i < end) {
            while (i < end && isSpace(in.getByte(i))) {
                i++;
            }
            if (i >= end) {
                break;
            }
            byte quote = in.getByte(i);
            if (quote == '"' || quote == '\'') {
                int close = i + 1;
                while (close < end && in.getByte(close) != quote) {
                    close++;
                }
                if (close >= end) {
                    throw new RespProtocolException("unbalanced quotes in request");
                }
                words.add(bytes(in, i + 1, close));
                i = close + 1;
            } else {
                int j = i;
                while (j < end && !isSpace(in.getByte(j))) {
                    j++;
                }
                words.add(bytes(in, i, j));
                i = j;
            }
            if (words.size() > limits.maxArguments()) {
                throw new RespProtocolException("invalid multibulk length");
            }
        }
        in.readerIndex(lf + 1);
        return words.toArray(new byte[0][]);
    }

    private static byte[] bytes(ByteBuf in, int from, int to) {
        byte[] b = new byte[to - from];
        in.getBytes(from, b);
        return b;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** Index of the CR of the first CRLF, or -1 when none has arrived; too long a line is an error. */
    private int findLineEnd(ByteBuf in) {
        int start = in.readerIndex();
        int searchable = Math.min(in.readableBytes(), limits.maxInlineLength() + 2);
        int cr = in.forEachByte(start, searchable, ByteProcessor.FIND_CR);
        if (cr < 0 || cr + 1 >= in.writerIndex()) {
            if (in.readableBytes() > limits.maxInlineLength()) {
                throw new RespProtocolException("too big header line");
            }
            return -1;
        }
        if (in.getByte(cr + 1) != '\n') {
            throw new RespProtocolException("header line not terminated by CRLF");
        }
        return cr;
    }

    private static long parseNumber(ByteBuf in, int from, int to, String what) {
        if (from >= to || to - from > 19) {
            throw new RespProtocolException("invalid " + what);
        }
        boolean negative = in.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i >= to) {
            throw new RespProtocolException("invalid " + what);
        }
        long n = 0;
        for (; i < to; i++) {
            byte b = in.getByte(i);
            if (b < '0' || b > '9') {
                throw new RespProtocolException("invalid " + what);
            }
            n = n * 10 + (b - '0');
        }
        return negative ? -n : n;
    }

    private static String printable(byte b) {
        return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xFF);
    }
}
