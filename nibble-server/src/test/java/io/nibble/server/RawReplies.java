package io.nibble.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Reading replies off a plain socket, for tests that must see the bytes the server sends and when. */
final class RawReplies {
    private RawReplies() { }

    /** The next {@code bytes} bytes, or fewer if the connection closes first. */
    static String read(InputStream in, int bytes) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < bytes) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            got.write(b);
        }
        return got.toString(StandardCharsets.US_ASCII);
    }

    /** Sends CLIENT ID and reads the integer reply. */
    static long clientId(OutputStream out, InputStream in) throws IOException {
        out.write("CLIENT ID\r\n".getBytes(StandardCharsets.US_ASCII));
        String reply = read(in, 3);
        while (!reply.endsWith("\r\n")) {
            reply += read(in, 1);
        }
        return Long.parseLong(reply.substring(1, reply.length() - 2));
    }
}
