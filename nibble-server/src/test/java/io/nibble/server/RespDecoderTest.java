package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RespDecoderTest {
    private static final String PIPELINE = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"
            + "PING\r\n"
            + "*2\r\n$3\r\nGET\r\n$0\r\n\r\n"
            + "*0\r\n"
            + "set  'quoted key'  \"two words\"\n"
            + "*1\r\n$4\r\nPING\r\n";

    private static List<String[]> decode(RespLimits limits, byte[]... chunks) {
        EmbeddedChannel channel = new EmbeddedChannel(new RespDecoder(limits));
        for (byte[] chunk : chunks) {
            channel.writeInbound(Unpooled.wrappedBuffer(chunk));
        }
        List<String[]> commands = new ArrayList<>();
        for (Object o; (o = channel.readInbound()) != null; ) {
            byte[][] args = (byte[][]) o;
            String[] words = new String[args.length];
            for (int i = 0; i < args.length; i++) {
                words[i] = new String(args[i], StandardCharsets.ISO_8859_1);
            }
            commands.add(words);
        }
        channel.finishAndReleaseAll();
        return commands;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void decodesMultibulkAndInlineCommandsInOrder() {
        List<String[]> commands = decode(RespLimits.DEFAULT, bytes(PIPELINE));
        assertEquals(5, commands.size());
        assertArrayEquals(new String[] {"SET", "key", "va\r\nl"}, commands.get(0), "bulk strings are binary-safe");
        assertArrayEquals(new String[] {"PING"}, commands.get(1));
        assertArrayEquals(new String[] {"GET", ""}, commands.get(2));
        assertArrayEquals(new String[] {"set", "quoted key", "two words"}, commands.get(3));
        assertArrayEquals(new String[] {"PING"}, commands.get(4));
    }

    /** The same bytes split at every possible boundary, and fed one byte at a time, decode identically. */
    @Test
    void inputSplitAtEveryByteDecodesTheSame() {
        byte[] all = bytes(PIPELINE);
        List<String[]> expected = decode(RespLimits.DEFAULT, all);
        for (int cut = 1; cut < all.length; cut++) {
            byte[] first = java.util.Arrays.copyOfRange(all, 0, cut);
            byte[] second = java.util.Arrays.copyOfRange(all, cut, all.length);
            assertSame(expected, decode(RespLimits.DEFAULT, first, second), "split at " + cut);
        }
        byte[][] single = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            single[i] = new byte[] {all[i]};
        }
        assertSame(expected, decode(RespLimits.DEFAULT, single), "byte by byte");
    }

    private static void assertSame(List<String[]> expected, List<String[]> actual, String where) {
        assertEquals(expected.size(), actual.size(), where);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), where + ", command " + i);
        }
    }

    @Test
    void malformedFramesAreProtocolErrors() {
        String[] broken = {
            "*2\r\n$3\r\nGET\r\n:1\r\n",          // not a bulk string
            "*2\r\n$3\r\nGETX\r\n$1\r\nk\r\n",     // bulk longer than its length
            "*x\r\n",                             // bad multibulk length
            "*1\r\n$-5\r\n",                      // negative bulk length
            "*1\r\n$abc\r\n",                     // bad bulk length
            "*1\r\n$3\rX",                        // CR without LF
            "*99999999999999999999\r\n",          // absurd count
            "SET 'unbalanced\r\n",                // inline quotes
        };
        for (String frame : broken) {
            RespProtocolException e = protocolError(RespLimits.DEFAULT, bytes(frame));
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), frame);
        }
    }

    @Test
    void limitsAreEnforcedBeforeAllocating() {
        RespLimits small = new RespLimits(16, 4, 64, 10, 1024, 1024, 1024);
        assertTrue(protocolError(small, bytes("*1\r\n$17\r\n")).getMessage().contains("bulk length"));
        assertTrue(protocolError(small, bytes("*5\r\n")).getMessage().contains("multibulk length"));
        assertTrue(protocolError(small, bytes("PING " + "x".repeat(100))).getMessage().contains("inline"));
        assertTrue(protocolError(small, bytes("*" + "1".repeat(80))).getMessage().contains("header"));
        assertEquals(1, decode(small, bytes("*1\r\n$16\r\n" + "y".repeat(16) + "\r\n")).size());
    }

    private static RespProtocolException protocolError(RespLimits limits, byte[] frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new RespDecoder(limits));
        DecoderException e = assertThrows(DecoderException.class, () -> channel.writeInbound(
                Unpooled.wrappedBuffer(frame)), () -> "no error for " + new String(frame, StandardCharsets.ISO_8859_1));
        channel.finishAndReleaseAll();
        return assertInstanceOf(RespProtocolException.class, e.getCause());
    }

    /** Random and mutated frames either decode or fail with a protocol error; nothing else escapes. */
    @Test
    void fuzzedFramesNeverFailOtherwise() {
        Random random = new Random(12345);
        byte[] valid = bytes(PIPELINE);
        RespLimits limits = new RespLimits(1 << 16, 64, 1024, 10, 1024, 1024, 1024);
        for (int round = 0; round < 20_000; round++) {
            byte[] frame;
            if (round % 2 == 0) {
                frame = valid.clone();
                for (int m = 1 + random.nextInt(4); m > 0; m--) {
                    frame[random.nextInt(frame.length)] = (byte) "*$\r\n0123456789-x ".charAt(random.nextInt(17));
                }
            } else {
                frame = new byte[random.nextInt(200)];
                for (int i = 0; i < frame.length; i++) {
                    frame[i] = (byte) "*$\r\n0123456789-ab'\" ".charAt(random.nextInt(20));
                }
            }
            EmbeddedChannel channel = new EmbeddedChannel(new RespDecoder(limits));
            try {
                int cut = frame.length == 0 ? 0 : random.nextInt(frame.length);
                ByteBuf first = Unpooled.wrappedBuffer(frame, 0, cut);
                channel.writeInbound(first);
                channel.writeInbound(Unpooled.wrappedBuffer(frame, cut, frame.length - cut));
            } catch (DecoderException e) {
                assertInstanceOf(RespProtocolException.class, e.getCause(), "round " + round);
            } finally {
                channel.finishAndReleaseAll();
            }
        }
    }
    /**
     * Bulks at and past the big-bulk threshold, among small commands, split at random points and fed in small pieces:
     * they decode to exactly the bytes sent, and the network buffer never accumulates them.
     */
    @Test
    void bigBulksArriveInPiecesAndDecodeWhole() {
        Random random = new Random(7);
        byte[][] values = {randomBytes(random, RespDecoder.BIG_BULK - 1), randomBytes(random, RespDecoder.BIG_BULK),
            randomBytes(random, 300_001), randomBytes(random, (5 << 19) + 1)}; // the last one's array doubles
        java.io.ByteArrayOutputStream wire = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < values.length; i++) {
            wire.writeBytes(bytes("*3\r\n$3\r\nSET\r\n$2\r\nk" + i + "\r\n$" + values[i].length + "\r\n"));
            wire.writeBytes(values[i]);
            wire.writeBytes(bytes("\r\nPING\r\n"));
        }
        byte[] all = wire.toByteArray();
        for (int round = 0; round < 40; round++) {
            InputBudget budget = new InputBudget(Long.MAX_VALUE);
            RespDecoder decoder = new RespDecoder(RespLimits.DEFAULT, budget);
            EmbeddedChannel channel = new EmbeddedChannel(decoder);
            int maxPiece = round == 0 ? 7 : 1 + random.nextInt(1 << (4 + round % 14));
            for (int at = 0; at < all.length; ) {
                int n = Math.min(all.length - at, 1 + random.nextInt(maxPiece));
                channel.writeInbound(Unpooled.wrappedBuffer(all, at, n));
                at += n;
                // At most a small bulk that has not all arrived, and a header line or two.
                assertTrue(decoder.bufferedBytes() < RespDecoder.BIG_BULK + 64,
                        "the network buffer held " + decoder.bufferedBytes() + " bytes");
            }
            for (int i = 0; i < values.length; i++) {
                byte[][] set = channel.readInbound();
                assertEquals("k" + i, new String(set[1], StandardCharsets.ISO_8859_1));
                assertArrayEquals(values[i], set[2], "value " + i + " in round " + round);
                assertEquals("PING", new String(((byte[][]) channel.readInbound())[0], StandardCharsets.ISO_8859_1));
            }
            assertTrue(channel.inboundMessages().isEmpty(), "nothing more decoded");
            assertEquals(0, budget.reserved(), "finished commands hold nothing");
            channel.finishAndReleaseAll();
        }
    }

    /**
     * Connections share one budget for the bytes of commands still arriving: past it, the command that would
     * exceed it is a protocol error, and finishing or abandoning a command gives its bytes back.
     */
    @Test
    void unfinishedCommandsShareOneBudget() {
        InputBudget budget = new InputBudget(1 << 20);
        EmbeddedChannel first = new EmbeddedChannel(new RespDecoder(RespLimits.DEFAULT, budget));
        first.writeInbound(Unpooled.wrappedBuffer(bytes("*2\r\n$4\r\nECHO\r\n$800000\r\n")));
        first.writeInbound(Unpooled.wrappedBuffer(new byte[700_000]));
        assertTrue(budget.reserved() >= 700_000 - InputBudget.ALLOWANCE, "reserved " + budget.reserved());

        EmbeddedChannel second = new EmbeddedChannel(new RespDecoder(RespLimits.DEFAULT, budget));
        second.writeInbound(Unpooled.wrappedBuffer(bytes("*2\r\n$4\r\nECHO\r\n$600000\r\n")));
        DecoderException refused = assertThrows(DecoderException.class,
                () -> second.writeInbound(Unpooled.wrappedBuffer(new byte[500_000])));
        assertTrue(refused.getCause().getMessage().contains("max-input-bytes"), refused.getCause().getMessage());
        second.finishAndReleaseAll();

        first.writeInbound(Unpooled.wrappedBuffer(new byte[100_000]), Unpooled.wrappedBuffer(bytes("\r\n")));
        assertEquals(800_000, ((byte[][]) first.readInbound())[1].length);
        assertEquals(0, budget.reserved(), "a finished command gives its bytes back");

        // Many small arguments count as much as one big one.
        StringBuilder many = new StringBuilder("*101\r\n$4\r\nMSET\r\n");
        for (int i = 0; i < 100; i++) {
            many.append("$20000\r\n").append("v".repeat(20_000)).append("\r\n");
        }
        EmbeddedChannel third = new EmbeddedChannel(new RespDecoder(RespLimits.DEFAULT, budget));
        DecoderException tooMany = assertThrows(DecoderException.class,
                () -> third.writeInbound(Unpooled.wrappedBuffer(bytes(many.toString()))));
        assertInstanceOf(RespProtocolException.class, tooMany.getCause());
        third.finishAndReleaseAll();
        assertEquals(0, budget.reserved(), "a refused command gives its bytes back");

        first.writeInbound(Unpooled.wrappedBuffer(bytes("*2\r\n$4\r\nECHO\r\n$900000\r\n")),
                Unpooled.wrappedBuffer(new byte[600_000]));
        assertTrue(budget.reserved() > 0);
        first.finishAndReleaseAll();
        assertEquals(0, budget.reserved(), "a closed connection's unfinished command gives its bytes back");
    }

    private static byte[] randomBytes(Random random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }
}
