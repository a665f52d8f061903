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
 */
public final class RespDecoder extends ByteToMessageDecoder {
    private final RespLimits limits;
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
        this.limits = limits;
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
            args = null;
            in.skipBytes(in.readableBytes());
            throw e;
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
            if (in.readableBytes() < (long) bulkLength + 2) {
                return null;
            }
            byte[] arg = new byte[bulkLength];
            in.readBytes(arg);
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
