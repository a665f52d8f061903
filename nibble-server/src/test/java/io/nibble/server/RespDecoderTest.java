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
        RespLimits small = new RespLimits(16, 4, 64, 10, 1024, 1024);
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
        RespLimits limits = new RespLimits(1 << 16, 64, 1024, 10, 1024, 1024);
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
}
