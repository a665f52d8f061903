package io.nibble.bench.store;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A remote store over the Redis protocol: Nibble's server, Redis, or anything that speaks RESP. Each benchmark
 * thread gets its own connection, so requests of one thread are sequential and threads run in parallel, as with
 * redis-benchmark's clients.
 */
public final class RespKvStore implements KvStore {
    private static final byte[] SET = "SET".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GET = "GET".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEL = "DEL".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONE = {'1'};

    private final String host;
    private final int port;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Connection> local = ThreadLocal.withInitial(this::connect);

    public RespKvStore(String host, int port) {
        this.host = host;
        this.port = port;
    }

    private Connection connect() {
        try {
            Connection c = new Connection(new Socket(host, port));
            connections.add(c);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + host + ":" + port, e);
        }
    }

    @Override
    public String name() {
        return "resp:" + host + ":" + port;
    }

    @Override
    public boolean put(byte[] key, byte[] value) {
        Connection c = local.get();
        c.send(SET, key, value);
        try {
            c.readReply();
            return true;
        } catch (IllegalStateException e) {
            if (e.getMessage().startsWith("server error: OOM")) {
                return false; // Redis's reply to a write into a full store
            }
            throw e;
        }
    }

    @Override
    public byte[] get(byte[] key) {
        Connection c = local.get();
        c.send(GET, key);
        return c.readReply();
    }

    @Override
    public boolean delete(byte[] key) {
        Connection c = local.get();
        c.send(DEL, key);
        return java.util.Arrays.equals(c.readReply(), ONE);
    }

    @Override
    public void close() {
        for (Connection c : connections) {
            c.close();
        }
        connections.clear();
    }

    /** One socket with buffered streams; requests and replies are RESP2. */
    private static final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            socket.setTcpNoDelay(true);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
            this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
        }

        void send(byte[]... args) {
            try {
                out.write('*');
                writeNumber(args.length);
                for (byte[] a : args) {
                    out.write('$');
                    writeNumber(a.length);
                    out.write(a);
                    out.write('\r');
                    out.write('\n');
                }
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void writeNumber(long n) throws IOException {
            out.write(Long.toString(n).getBytes(StandardCharsets.US_ASCII));
            out.write('\r');
            out.write('\n');
        }

        /**
         * Reads one reply: a bulk string's bytes, null for a null reply, the digits of an integer reply, an empty
         * array for a simple string.
         */
        byte[] readReply() {
            try {
                int type = in.read();
                String line = readLine();
                switch (type) {
                    case '$' -> {
                        int length = Integer.parseInt(line);
                        if (length < 0) {
                            return null;
                        }
                        byte[] value = in.readNBytes(length);
                        if (value.length != length || in.read() != '\r' || in.read() != '\n') {
                            throw new IOException("truncated bulk reply");
                        }
                        return value;
                    }
                    case '+' -> {
                        return new byte[0];
                    }
                    case ':' -> {
                        return line.getBytes(StandardCharsets.US_ASCII);
                    }
                    case '_' -> {
                        return null;
                    }
                    case '-' -> throw new IllegalStateException("server error: " + line);
                    case -1 -> throw new IOException("connection closed");
                    default -> throw new IOException("unexpected reply type " + (char) type);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private String readLine() throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c = in.read(); c != '\r'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                b.append((char) c);
            }
            if (in.read() != '\n') {
                throw new IOException("reply line not terminated by CRLF");
            }
            return b.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a benchmark connection: nothing to recover
            }
        }
    }
}
