package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentSkipListMap;

/** The open connections, for CLIENT LIST and CLIENT KILL, and those in MONITOR mode. */
final class Clients {
    private final ConcurrentSkipListMap<Long, Session> byId = new ConcurrentSkipListMap<>();
    /** CLIENT PAUSE, which every command consults. */
    final ClientPause pause = new ClientPause();
    /** Connections in MONITOR mode, copied on every change and read on every command. */
    private volatile Session[] monitors = new Session[0];

    /** Lists an accepted connection. */
    void add(Session session, Channel channel) {
        session.channel = channel;
        byId.put(session.id, session);
    }

    /** Forgets a closing connection, as a client and as a monitor. */
    void remove(Session session) {
        byId.remove(session.id);
        stopMonitoring(session);
    }

    /** The open connection with this id, or null. */
    Session find(long id) {
        return byId.get(id);
    }

    /** The open connections in id order; a live view that other threads may change while it is read. */
    Collection<Session> all() {
        return byId.values();
    }

    synchronized void startMonitoring(Session session) {
        if (!session.monitoring) {
            session.monitoring = true;
            Session[] next = Arrays.copyOf(monitors, monitors.length + 1);
            next[next.length - 1] = session;
            monitors = next;
        }
    }

    synchronized void stopMonitoring(Session session) {
        if (session.monitoring) {
            session.monitoring = false;
            monitors = Arrays.stream(monitors).filter(m -> m != session).toArray(Session[]::new);
        }
    }

    /** The connections in MONITOR mode now; an empty array, read with one volatile load, when there are none. */
    Session[] monitors() {
        return monitors;
    }

    /**
     * Sends a command that ran to every MONITOR connection in Redis's format: the time, the client's address and
     * the arguments quoted, passwords redacted. A monitor's own commands go into its reply batch, so they keep
     * their order with its replies; a monitor too far behind to take more is disconnected.
     */
    void feedMonitors(Session[] watching, Session source, CommandTable.Command command, byte[][] args,
                      ByteBuf out) {
        Instant now = Instant.now();
        Channel from = source.channel;
        StringBuilder line = new StringBuilder("+").append(now.getEpochSecond()).append('.')
                .append(String.format(Locale.ROOT, "%06d", now.getNano() / 1000))
                .append(" [0 ").append(address(from == null ? null : from.remoteAddress())).append(']');
        for (byte[] arg : Arguments.redacted(command, args)) {
            line.append(' ');
            quote(line, arg);
        }
        byte[] bytes = line.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        for (Session monitor : watching) {
            Channel ch = monitor.channel;
            if (monitor == source) {
                out.writeBytes(bytes);
            } else if (ch != null && ch.isActive()) {
                if (ch.isWritable()) {
                    ch.writeAndFlush(Unpooled.wrappedBuffer(bytes), ch.voidPromise());
                } else {
                    ch.close(); // it stopped reading: its backlog must not grow without bound
                }
            }
        }
    }

    /** An argument as Redis's sdscatrepr quotes it: printable ASCII as is, escapes for the rest. */
    private static void quote(StringBuilder b, byte[] arg) {
        b.append('"');
        for (byte x : arg) {
            int c = x & 0xFF;
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case 7 -> b.append("\\a");
                case '\b' -> b.append("\\b");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        b.append((char) c);
                    } else {
                        b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
                    }
                }
            }
        }
        b.append('"');
    }

    /** One CLIENT LIST line: the fields Redis prints that this server tracks, in Redis's order. */
    static String describe(Session c) {
        Channel ch = c.channel;
        long now = System.currentTimeMillis();
        int fd = ch instanceof io.netty.channel.unix.UnixChannel u ? u.fd().intValue() : -1;
        var outbound = ch == null ? null : ch.unsafe().outboundBuffer();
        List<byte[][]> queued = c.queued;
        return "id=" + c.id + " addr=" + address(ch == null ? null : ch.remoteAddress())
                + " laddr=" + address(ch == null ? null : ch.localAddress()) + " fd=" + fd
                + " name=" + (c.name == null ? "" : c.name) + " age=" + (now - c.createdMillis) / 1000
                + " idle=" + Math.max(0, now - c.lastActiveMillis) / 1000
                + " flags=" + flags(c, queued) + " db=0"
                + " multi=" + (queued != null ? queued.size() : -1) + " watch=" + c.watchCount
                + " omem=" + (outbound == null ? 0 : outbound.totalPendingWriteBytes())
                + " cmd=" + c.lastCommand + " user=default resp=" + c.protocol
                + " lib-name=" + c.libName + " lib-ver=" + c.libVersion;
    }

    /** CLIENT LIST's flags, in Redis's order: O monitor, x in MULTI, b blocked; N for none. */
    private static String flags(Session c, List<byte[][]> queued) {
        String flags = (c.monitoring ? "O" : "") + (queued != null ? "x" : "") + (c.blocked ? "b" : "");
        return flags.isEmpty() ? "N" : flags;
    }

    static String address(SocketAddress a) {
        if (a instanceof InetSocketAddress i && i.getAddress() != null) {
            String host = i.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + i.getPort();
        }
        return a == null ? "" : a.toString();
    }
}
