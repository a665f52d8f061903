package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static io.nibble.server.Arguments.parseLong;
import static io.nibble.server.Arguments.text;

/** The connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, CLIENT and RESET. */
final class ConnectionCommands {
    private final ServerConfig config;
    private final Clients clients;
    private final Transactions transactions;

    ConnectionCommands(ServerConfig config, Clients clients, Transactions transactions) {
        this.config = config;
        this.clients = clients;
        this.transactions = transactions;
    }

    void run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "PING" -> {
                if (a.length > 2) {
                    throw Arguments.wrongArity(a);
                }
                if (a.length == 2) {
                    Reply.bulk(out, a[1]);
                } else {
                    Reply.write(out, Reply.PONG);
                }
            }
            case "ECHO" -> Reply.bulk(out, a[1]);
            case "QUIT" -> {
                Reply.write(out, Reply.OK);
                s.closeAfterReply = true;
            }
            case "SELECT" -> {
                if (parseLong(a[1]) != 0) {
                    throw new CommandError("ERR DB index is out of range");
                }
                Reply.write(out, Reply.OK);
            }
            case "AUTH" -> auth(s, a, out);
            case "HELLO" -> hello(s, a, out);
            case "CLIENT" -> client(s, a, out);
            case "RESET" -> {
                // As Redis: back to a fresh connection's state, name included; the library name and version stay.
                s.name = null;
                transactions.reset(s);
                clients.stopMonitoring(s);
                s.replyOff = false;
                s.skipReply = false;
                s.protocol = 2;
                s.authenticated = config.requirePass == null;
                Reply.simple(out, "RESET");
            }
            default -> throw new IllegalStateException(name + " is in the command table but has no case here");
        }
    }

    private void auth(Session s, byte[][] a, ByteBuf out) {
        if (a.length > 3) {
            throw new CommandError("ERR syntax error");
        }
        if (config.requirePass == null) {
            if (a.length == 3 && text(a[1]).equals("default")) {
                s.authenticated = true; // the default user has no password: any password is accepted
                Reply.write(out, Reply.OK);
                return;
            }
            throw new CommandError("ERR AUTH <password> called without any password configured for the default "
                    + "user. Are you sure your configuration is correct?");
        }
        String user = a.length == 3 ? text(a[1]) : "default";
        if (!user.equals("default") || !config.requirePass.equals(text(a[a.length - 1]))) {
            throw new CommandError("WRONGPASS invalid username-password pair or user is disabled.");
        }
        s.authenticated = true;
        Reply.write(out, Reply.OK);
    }

    private void hello(Session s, byte[][] a, ByteBuf out) {
        int protocol = s.protocol;
        int i = 1;
        if (a.length > 1) {
            long version;
            try {
                version = parseLong(a[1]);
            } catch (CommandError e) {
                throw new CommandError("ERR Protocol version is not an integer or out of range");
            }
            if (version < 2 || version > 3) {
                throw new CommandError("NOPROTO unsupported protocol version");
            }
            protocol = (int) version;
            i = 2;
        }
        for (; i < a.length; i++) {
            String option = text(a[i]).toUpperCase(Locale.ROOT);
            if (option.equals("AUTH") && i + 2 < a.length) {
                ByteBuf ignored = Unpooled.buffer();
                try {
                    auth(s, new byte[][] {"AUTH".getBytes(StandardCharsets.US_ASCII), a[i + 1], a[i + 2]}, ignored);
                } finally {
                    ignored.release();
                }
                i += 2;
            } else if (option.equals("SETNAME") && i + 1 < a.length) {
                s.name = text(a[++i]);
            } else {
                throw new CommandError("ERR Syntax error in HELLO option '" + text(a[i]) + "'");
            }
        }
        if (!s.authenticated) {
            throw new CommandError("NOAUTH HELLO must be called with the client already authenticated, otherwise "
                    + "the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
                    + "select the RESP protocol version at the same time");
        }
        s.protocol = protocol;
        Reply.mapHeader(out, 7, protocol);
        Reply.bulk(out, "server");
        Reply.bulk(out, "redis");
        Reply.bulk(out, "version");
        Reply.bulk(out, ServerConfig.REDIS_VERSION);
        Reply.bulk(out, "proto");
        Reply.integer(out, protocol);
        Reply.bulk(out, "id");
        Reply.integer(out, s.id);
        Reply.bulk(out, "mode");
        Reply.bulk(out, "standalone");
        Reply.bulk(out, "role");
        Reply.bulk(out, "master");
        Reply.bulk(out, "modules");
        Reply.arrayHeader(out, 0);
    }

    private void client(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "SETNAME" -> {
                s.name = text(a[2]);
                Reply.write(out, Reply.OK);
            }
            case "GETNAME" -> Reply.bulkOrNil(out, s.name == null ? null : s.name.getBytes(StandardCharsets.UTF_8),
                    s.protocol);
            case "ID" -> Reply.integer(out, s.id);
            case "SETINFO" -> {
                String attribute = text(a[2]).toUpperCase(Locale.ROOT);
                String value = text(a[3]);
                if (value.chars().anyMatch(c -> c <= ' ' || c > '~')) {
                    throw new CommandError("ERR " + attribute + " cannot contain spaces, newlines or special"
                            + " characters.");
                }
                switch (attribute) {
                    case "LIB-NAME" -> s.libName = value;
                    case "LIB-VER" -> s.libVersion = value;
                    default -> throw new CommandError("ERR Unrecognized option '" + text(a[2]) + "'");
                }
                Reply.write(out, Reply.OK);
            }
            case "INFO" -> Reply.verbatim(out, Clients.describe(s) + "\n", s.protocol);
            case "LIST" -> {
                Set<Long> ids = null;
                if (a.length > 2) {
                    String option = text(a[2]).toUpperCase(Locale.ROOT);
                    if (option.equals("ID") && a.length > 3) {
                        ids = new HashSet<>();
                        for (int i = 3; i < a.length; i++) {
                            ids.add(parseLong(a[i]));
                        }
                    } else if (option.equals("TYPE") && a.length == 4) {
                        String type = text(a[3]).toLowerCase(Locale.ROOT);
                        if (!CLIENT_TYPES.contains(type)) {
                            throw new CommandError("ERR Unknown client type '" + text(a[3]) + "'");
                        }
                        ids = type.equals("normal") ? null : Set.of();
                    } else {
                        throw new CommandError("ERR syntax error");
                    }
                }
                StringBuilder b = new StringBuilder();
                for (Session c : clients.all()) {
                    if (ids == null || ids.contains(c.id)) {
                        b.append(Clients.describe(c)).append('\n');
                    }
                }
                Reply.verbatim(out, b.toString(), s.protocol);
            }
            case "KILL" -> clientKill(s, a, out);
            case "UNBLOCK" -> clientUnblock(a, out);
            case "PAUSE" -> clientPause(a, out);
            case "UNPAUSE" -> {
                clients.pause.unpause();
                Reply.write(out, Reply.OK);
            }
            case "REPLY" -> {
                switch (text(a[2]).toUpperCase(Locale.ROOT)) {
                    case "ON" -> {
                        s.replyOff = false;
                        s.skipReply = false;
                        Reply.write(out, Reply.OK);
                    }
                    case "OFF" -> s.replyOff = true;
                    case "SKIP" -> s.skipReply = !s.replyOff; // the next command's reply; this one has none
                    default -> throw new CommandError("ERR syntax error");
                }
            }
            case "NO-EVICT", "NO-TOUCH" -> {
                // Nothing to switch: this server never evicts clients and does not track key access.
                String mode = text(a[2]).toUpperCase(Locale.ROOT);
                if (!mode.equals("ON") && !mode.equals("OFF")) {
                    throw new CommandError("ERR syntax error");
                }
                Reply.write(out, Reply.OK);
            }
            case "HELP" -> Reply.help(out, "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "ID", "    Return the ID of the current connection.",
                    "INFO", "    Return information about the current client connection.",
                    "GETNAME", "    Return the name of the current connection.",
                    "SETNAME <name>", "    Assign the name <name> to the current connection.",
                    "SETINFO <option> <value>", "    Set client meta attr (LIB-NAME or LIB-VER).",
                    "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
                    "    Return information about client connections.",
                    "KILL <ip:port>", "    Kill connection made from <ip:port>.",
                    "KILL <option> <value> [<option> <value> [...]]",
                    "    Kill connections. Options: ID, ADDR, LADDR, USER, TYPE, SKIPME (YES|NO), MAXAGE.",
                    "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
                    "PAUSE <timeout> [WRITE|ALL]",
                    "    Suspend all, or just write, clients for <timeout> milliseconds.",
                    "UNPAUSE",
                    "    Stop the current client pause, resuming traffic.",
                    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                    "    Unblock the specified blocked client.",
                    "NO-EVICT (ON|OFF)", "    Accepted; this server never evicts clients.",
                    "NO-TOUCH (ON|OFF)", "    Accepted; this server does not track key access times.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("CLIENT " + sub + " is in the command table but not here");
        }
    }

    /** Client types CLIENT LIST and KILL accept; only "normal" clients exist here. */
    private static final List<String> CLIENT_TYPES = List.of("normal", "master", "replica", "slave", "pubsub");

    /**
     * CLIENT PAUSE timeout [WRITE|ALL]: from now until the timeout, other commands (ALL, the default) or only writes
     * (WRITE) wait before they run; a pause already running is only lengthened or widened.
     */
    private void clientPause(byte[][] a, ByteBuf out) {
        if (a.length > 4) {
            throw new CommandError("ERR unknown subcommand or wrong number of arguments for '"
                    + Arguments.printable(text(a[1])) + "'. Try CLIENT HELP.");
        }
        boolean all = true;
        if (a.length == 4) {
            switch (text(a[3]).toUpperCase(Locale.ROOT)) {
                case "WRITE" -> all = false;
                case "ALL" -> all = true;
                default -> throw new CommandError("ERR CLIENT PAUSE mode must be WRITE or ALL");
            }
        }
        long timeout = parseLong(a[2], "ERR timeout is not an integer or out of range");
        if (timeout < 0) {
            throw new CommandError("ERR timeout is negative");
        }
        long now = System.currentTimeMillis();
        if (timeout > Long.MAX_VALUE - now) {
            throw new CommandError("ERR timeout is out of range");
        }
        clients.pause.pause(timeout == 0 ? 0 : now + timeout, all);
        Reply.write(out, Reply.OK);
    }

    /**
     * CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another connection's block as its timeout would, or with an error;
     * answers 1 when that connection was blocked. The block ends on the target's own event loop, just after.
     */
    private void clientUnblock(byte[][] a, ByteBuf out) {
        if (a.length > 4) {
            throw new CommandError("ERR unknown subcommand or wrong number of arguments for '"
                    + Arguments.printable(text(a[1])) + "'. Try CLIENT HELP.");
        }
        long id = parseLong(a[2]);
        boolean withError = false;
        if (a.length == 4) {
            switch (text(a[3]).toUpperCase(Locale.ROOT)) {
                case "TIMEOUT" -> withError = false;
                case "ERROR" -> withError = true;
                default -> throw new CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            }
        }
        Session target = clients.find(id);
        var unblocker = target == null ? null : target.unblocker;
        // A command CLIENT PAUSE holds cannot be unblocked: it would only wait again, or be lost.
        if (target != null && target.blocked && target.unblockable && unblocker != null) {
            unblocker.accept(withError);
            Reply.integer(out, 1);
        } else {
            Reply.integer(out, 0);
        }
    }

    /**
     * CLIENT KILL, in both forms: {@code CLIENT KILL addr:port} answers OK or an error; with filters (ID, ADDR,
     * LADDR, USER, SKIPME, MAXAGE, TYPE) it answers how many connections it closed. A connection killing itself
     * closes after this reply.
     */
    private void clientKill(Session s, byte[][] a, ByteBuf out) {
        if (a.length == 3) {
            String target = text(a[2]);
            for (Session c : clients.all()) {
                if (Clients.address(c.channel == null ? null : c.channel.remoteAddress()).equals(target)) {
                    kill(s, c);
                    Reply.write(out, Reply.OK);
                    return;
                }
            }
            throw new CommandError("ERR No such client");
        }
        if (a.length % 2 != 0) {
            throw new CommandError("ERR syntax error");
        }
        Long id = null;
        String addr = null;
        String laddr = null;
        boolean skipMe = true;
        long maxAge = -1;
        boolean none = false;
        for (int i = 2; i < a.length; i += 2) {
            String value = text(a[i + 1]);
            switch (text(a[i]).toUpperCase(Locale.ROOT)) {
                case "ID" -> id = parseLong(a[i + 1]);
                case "ADDR" -> addr = value;
                case "LADDR" -> laddr = value;
                case "USER" -> none |= !value.equals("default");
                case "TYPE" -> {
                    String type = value.toLowerCase(Locale.ROOT);
                    if (!CLIENT_TYPES.contains(type)) {
                        throw new CommandError("ERR Unknown client type '" + value + "'");
                    }
                    none |= !type.equals("normal");
                }
                case "SKIPME" -> {
                    if (!value.equalsIgnoreCase("yes") && !value.equalsIgnoreCase("no")) {
                        throw new CommandError("ERR syntax error");
                    }
                    skipMe = value.equalsIgnoreCase("yes");
                }
                case "MAXAGE" -> maxAge = parseLong(a[i + 1]);
                default -> throw new CommandError("ERR syntax error");
            }
        }
        long now = System.currentTimeMillis();
        long killed = 0;
        for (Session c : clients.all()) {
            Channel ch = c.channel;
            boolean matches = !none && (id == null || c.id == id)
                    && (addr == null || Clients.address(ch == null ? null : ch.remoteAddress()).equals(addr))
                    && (laddr == null || Clients.address(ch == null ? null : ch.localAddress()).equals(laddr))
                    && (maxAge < 0 || (now - c.createdMillis) / 1000 >= maxAge)
                    && !(skipMe && c == s);
            if (matches) {
                kill(s, c);
                killed++;
            }
        }
        Reply.integer(out, killed);
    }

    private static void kill(Session self, Session victim) {
        if (victim == self) {
            self.closeAfterReply = true;
        } else if (victim.channel != null) {
            ElasticLoops.closeOnItsLoop(victim.channel);
        }
    }
}
