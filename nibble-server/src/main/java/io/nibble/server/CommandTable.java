package io.nibble.server;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The commands this server runs, with what Redis's command table says of each: arity, flags, key positions, ACL
 * categories and a summary. Dispatch resolves a request here before running it (unknown names, unknown subcommands
 * and wrong argument counts are refused in one place), COMMAND reports it, and INFO commandstats counts by
 * {@link Command#id()}. The table is built once, in static initialisation, and never changes afterwards.
 */
final class CommandTable {
    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();
    private static final List<Command> BY_ID = new ArrayList<>();

    /**
     * One command or subcommand.
     *
     * @param arity as in Redis: {@code n} means exactly n arguments, the name included; {@code -n} at least n
     * @param keys where the keys are and how the key locks treat them; null when the command names no key
     */
    record Command(int id, String name, String fullName, int arity, List<String> flags, List<String> categories,
                   KeySpec keys, Group group, String since, String summary, Map<String, Command> subcommands) {

        boolean accepts(int arguments) {
            return arity >= 0 ? arguments == arity : arguments >= -arity;
        }

        boolean has(String flag) {
            return flags.contains(flag);
        }

        boolean isContainer() {
            return !subcommands.isEmpty();
        }

        /** Redis's first key, last key (-1: to the end) and step; zeros when the command has no fixed keys. */
        int[] keyPositions() {
            if (keys == null || keys.everyKey()) {
                return new int[] {0, 0, 0};
            }
            int last = keys.count() == KeySpec.TO_THE_END ? -1 : keys.first() + (keys.count() - 1) * keys.step();
            return new int[] {keys.first(), last, keys.step()};
        }
    }

    /** Redis's command groups, each run by its own handlers ({@link StringCommands}, {@link KeyCommands}...). */
    enum Group {
        CONNECTION, SERVER, STRING, GENERIC, BITMAP, TRANSACTIONS;

        /** The name COMMAND DOCS reports. */
        String redisName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private CommandTable() {
    }

    /** A request's command name upper-cased; GET and SET, the most common, come from constants with no allocation. */
    static String requestName(byte[] raw) {
        if (raw.length == 3) {
            int c0 = raw[0] & 0xDF;
            int c1 = raw[1] & 0xDF;
            int c2 = raw[2] & 0xDF;
            if (c1 == 'E' && c2 == 'T') {
                if (c0 == 'G') {
                    return "GET";
                }
                if (c0 == 'S') {
                    return "SET";
                }
            }
        }
        return upperAscii(raw);
    }

    /** The command of an upper-case name, or null when the server does not know it. */
    static Command lookup(String name) {
        return COMMANDS.get(name);
    }

    /** The command of a raw name in any case, or null. */
    static Command lookup(byte[] name) {
        return COMMANDS.get(upperAscii(name));
    }

    /** ASCII letters upper-cased and nothing else, so that no other script's letter maps onto a command name. */
    static String upperAscii(byte[] name) {
        byte[] upper = name.clone();
        for (int i = 0; i < upper.length; i++) {
            if (upper[i] >= 'a' && upper[i] <= 'z') {
                upper[i] -= 'a' - 'A';
            }
        }
        return new String(upper, StandardCharsets.ISO_8859_1);
    }

    /** A command by the name Redis reports ({@code get}, {@code client|list}) in any case, or null. */
    static Command lookupFullName(String fullName) {
        String upper = upperAscii(fullName.getBytes(StandardCharsets.UTF_8));
        int bar = upper.indexOf('|');
        if (bar < 0) {
            return COMMANDS.get(upper);
        }
        Command parent = COMMANDS.get(upper.substring(0, bar));
        return parent == null ? null : parent.subcommands().get(upper.substring(bar + 1));
    }

    /** Every top-level command, in table order. */
    static java.util.Collection<Command> commands() {
        return Collections.unmodifiableCollection(COMMANDS.values());
    }

    /** How many ids there are: commands and subcommands together. */
    static int size() {
        return BY_ID.size();
    }

    static Command byId(int id) {
        return BY_ID.get(id);
    }

    /**
     * What a request runs: the command itself, or for a container (CLIENT, CONFIG...) given a subcommand, the
     * subcommand its second argument names; null when the container has no such subcommand. The argument count is
     * left to {@link Command#accepts}.
     */
    static Command resolve(Command command, byte[][] args) {
        if (!command.isContainer() || args.length < 2) {
            return command;
        }
        return command.subcommands().get(upperAscii(args[1]));
    }

    // ------------------------------------------------------------------ the table

    private static final String FAST_READ = "readonly fast";
    private static final String FAST_WRITE = "write fast";
    private static final String GROW = "write denyoom";
    private static final String FAST_GROW = "write denyoom fast";
    private static final String CONNECTION = "noscript loading stale fast";

    static {
        // Connection
        def("PING", -1, "fast", "@connection", null, "connection", "1.0.0", "Returns the server's liveliness response.");
        def("ECHO", 2, "fast", "@connection", null, "connection", "1.0.0", "Returns the given string.");
        def("QUIT", -1, "allow_busy noscript loading stale fast no_auth", "@connection", null, "connection", "1.0.0",
                "Closes the connection.");
        def("SELECT", 2, "loading stale fast", "@connection", null, "connection", "1.0.0",
                "Changes the selected database (only 0 exists).");
        def("AUTH", -2, "noscript loading stale fast no_auth allow_busy", "@connection", null, "connection", "1.0.0",
                "Authenticates the connection.");
        def("HELLO", -1, "noscript loading stale fast no_auth allow_busy", "@connection", null, "connection",
                "6.0.0", "Handshakes with the server: protocol version, authentication, name.");
        Command client = def("CLIENT", -2, "", "@connection", null, "connection", "2.4.0",
                "A container for client connection commands.");
        sub(client, "SETNAME", 3, CONNECTION, "@connection", "2.6.9", "Sets the connection name.");
        sub(client, "GETNAME", 2, CONNECTION, "@connection", "2.6.9", "Returns the name of the connection.");
        sub(client, "SETINFO", 4, CONNECTION, "@connection", "7.2.0", "Sets information specific to the client.");
        sub(client, "ID", 2, CONNECTION, "@connection", "5.0.0", "Returns the unique client ID of the connection.");
        sub(client, "INFO", 2, CONNECTION, "@connection", "6.2.0", "Returns information about the connection.");
        sub(client, "LIST", -2, "admin noscript loading stale", "@connection", "2.4.0",
                "Lists open connections.");
        sub(client, "KILL", -3, "admin noscript loading stale", "@connection", "2.4.0",
                "Terminates open connections.");
        sub(client, "PAUSE", -3, "admin noscript loading stale", "@connection", "3.0.0",
                "Suspends commands processing.");
        sub(client, "UNPAUSE", 2, "admin noscript loading stale", "@connection", "6.2.0",
                "Resumes processing commands from paused clients.");
        sub(client, "UNBLOCK", -3, "admin noscript loading stale", "@connection", "5.0.0",
                "Unblocks a client blocked by a blocking command from a different connection.");
        sub(client, "REPLY", 3, "noscript loading stale", "@connection", "3.2.0",
                "Instructs the server whether to reply to commands.");
        sub(client, "NO-EVICT", 3, "admin noscript loading stale", "@connection", "7.0.0",
                "Accepted for compatibility: this server never evicts clients.");
        sub(client, "NO-TOUCH", 3, CONNECTION, "@connection", "7.2.0",
                "Accepted for compatibility: this server does not track key access times.");
        sub(client, "HELP", 2, "loading stale", "@connection", "5.0.0", "Returns helpful text about the subcommands.");

        // Server
        def("RESET", 1, "noscript loading stale fast no_auth allow_busy", "@connection", null, "connection",
                "6.2.0", "Resets the connection.");
        Command command = def("COMMAND", -1, "loading stale", "@connection", null, "server", "2.8.13",
                "Returns detailed information about all commands.");
        sub(command, "COUNT", 2, "loading stale", "@connection", "2.8.13", "Returns a count of commands.");
        sub(command, "INFO", -2, "loading stale", "@connection", "2.8.13",
                "Returns information about one, multiple or all commands.");
        sub(command, "DOCS", -2, "loading stale", "@connection", "7.0.0",
                "Returns documentary information about one, multiple or all commands.");
        sub(command, "LIST", -2, "loading stale", "@connection", "7.0.0", "Returns a list of command names.");
        sub(command, "GETKEYS", -3, "loading stale", "@connection", "2.8.13",
                "Extracts the key names from an arbitrary command.");
        sub(command, "HELP", 2, "loading stale", "@connection", "5.0.0",
                "Returns helpful text about the subcommands.");
        Command config = def("CONFIG", -2, "", "@server", null, "server", "2.0.0",
                "A container for server configuration commands.");
        sub(config, "GET", -3, "admin noscript loading stale", "@server", "2.0.0",
                "Returns the effective values of configuration parameters.");
        sub(config, "SET", -4, "admin noscript loading stale", "@server", "2.0.0",
                "Accepts only the values parameters already have: settings are fixed at start-up.");
        sub(config, "RESETSTAT", 2, "admin noscript loading stale", "@server", "2.0.0",
                "Resets the server's statistics.");
        sub(config, "REWRITE", 2, "admin noscript loading stale", "@server", "2.8.0",
                "Refused: settings are fixed at start-up.");
        sub(config, "HELP", 2, "loading stale", "@server", "5.0.0", "Returns helpful text about the subcommands.");
        def("INFO", -1, "loading stale", "@dangerous", null, "server", "1.0.0",
                "Returns information and statistics about the server.");
        def("DBSIZE", 1, FAST_READ, "@keyspace", null, "server", "1.0.0", "Returns the number of keys.");
        def("FLUSHALL", -1, "write", "@keyspace @dangerous", KeySpec.EVERY_KEY, "server", "1.0.0",
                "Removes all keys.");
        def("FLUSHDB", -1, "write", "@keyspace @dangerous", KeySpec.EVERY_KEY, "server", "1.0.0",
                "Removes all keys of the (only) database.");
        def("TIME", 1, "loading stale fast", "", null, "server", "2.6.0", "Returns the server time.");
        def("LASTSAVE", 1, "loading stale fast", "@admin @dangerous", null, "server", "1.0.0",
                "Returns the Unix time of the last save to disk: the server's start, as nothing is saved.");
        def("SHUTDOWN", -1, "admin noscript loading stale no_multi allow_busy", "", null, "server", "1.0.0",
                "Stops the server.");
        def("MONITOR", 1, "admin noscript loading stale no_multi", "", null, "server", "1.0.0",
                "Listens for all requests received by the server in real-time.");
        def("ROLE", 1, "noscript loading stale fast", "@admin @dangerous", null, "server", "2.8.12",
                "Returns the replication role (always master).");
        Command slowlog = def("SLOWLOG", -2, "", "", null, "server", "2.2.12",
                "A container for slow log commands.");
        sub(slowlog, "GET", -2, "admin loading stale", "", "2.2.12", "Returns the slow log's entries.");
        sub(slowlog, "LEN", 2, "admin loading stale", "", "2.2.12", "Returns the number of entries in the slow log.");
        sub(slowlog, "RESET", 2, "admin loading stale", "", "2.2.12", "Clears all entries from the slow log.");
        sub(slowlog, "HELP", 2, "loading stale", "", "6.2.0", "Returns helpful text about the subcommands.");
        Command memory = def("MEMORY", -2, "", "", null, "server", "4.0.0", "A container for memory commands.");
        sub(memory, "USAGE", -3, "readonly", "@read", KeySpec.SECOND, "4.0.0",
                "Estimates the memory usage of a key.");
        sub(memory, "STATS", 2, "", "", "4.0.0", "Returns details about the memory usage of the server.");
        sub(memory, "DOCTOR", 2, "", "", "4.0.0", "Outputs a memory problems report.");
        sub(memory, "HELP", 2, "loading stale", "", "4.0.0", "Returns helpful text about the subcommands.");
        Command latency = def("LATENCY", -2, "", "", null, "server", "2.8.13",
                "A container for latency diagnostics commands.");
        sub(latency, "HISTOGRAM", -2, "admin noscript loading stale", "", "7.0.0",
                "Returns the cumulative distribution of latencies of a subset or all commands.");
        sub(latency, "LATEST", 2, "admin noscript loading stale", "", "2.8.13",
                "Returns the latest latency samples for all events.");
        sub(latency, "HISTORY", 3, "admin noscript loading stale", "", "2.8.13",
                "Returns timestamp-latency samples for an event.");
        sub(latency, "RESET", -2, "admin noscript loading stale", "", "2.8.13",
                "Resets the latency data for one or more events.");
        sub(latency, "GRAPH", 3, "admin noscript loading stale", "", "2.8.13",
                "Returns a latency graph for an event.");
        sub(latency, "DOCTOR", 2, "admin noscript loading stale", "", "2.8.13",
                "Returns a human-readable latency analysis report.");
        sub(latency, "HELP", 2, "loading stale", "", "2.8.13", "Returns helpful text about the different subcommands.");

        // Strings
        def("GET", 2, FAST_READ, "@string", KeySpec.READ, "string", "1.0.0", "Returns the string value of a key.");
        def("SET", -3, GROW, "@string", KeySpec.WRITE, "string", "1.0.0",
                "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.");
        def("SETNX", 3, FAST_GROW, "@string", KeySpec.WRITE, "string", "1.0.0",
                "Sets the string value of a key only when the key doesn't exist.");
        def("SETEX", 4, GROW, "@string", KeySpec.WRITE, "string", "2.0.0",
                "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.");
        def("PSETEX", 4, GROW, "@string", KeySpec.WRITE, "string", "2.6.0",
                "Sets both string value and expiration time in milliseconds of a key.");
        def("GETSET", 3, FAST_GROW, "@string", KeySpec.WRITE, "string", "1.0.0",
                "Returns the previous string value of a key after setting it to a new value.");
        def("GETDEL", 2, FAST_WRITE, "@string", KeySpec.WRITE, "string", "6.2.0",
                "Returns the string value of a key after deleting the key.");
        def("GETEX", -2, FAST_WRITE, "@string", KeySpec.WRITE, "string", "6.2.0",
                "Returns the string value of a key after setting its expiration time.");
        def("MGET", -2, FAST_READ, "@string", KeySpec.READ_ALL, "string", "1.0.0",
                "Atomically returns the string values of one or more keys.");
        def("MSET", -3, GROW, "@string", KeySpec.WRITE_PAIRS, "string", "1.0.1",
                "Atomically creates or modifies the string values of one or more keys.");
        def("MSETNX", -3, GROW, "@string", KeySpec.WRITE_PAIRS, "string", "1.0.1",
                "Atomically sets the values of one or more keys only when all keys don't exist.");
        def("APPEND", 3, FAST_GROW, "@string", KeySpec.WRITE, "string", "2.0.0",
                "Appends a string to the value of a key. Creates the key if it doesn't exist.");
        def("STRLEN", 2, FAST_READ, "@string", KeySpec.READ, "string", "2.2.0",
                "Returns the length of a string value.");
        def("INCR", 2, FAST_GROW, "@string", KeySpec.WRITE, "string", "1.0.0",
                "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.");
        def("DECR", 2, FAST_GROW, "@string", KeySpec.WRITE, "string", "1.0.0",
                "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.");
        def("INCRBY", 3, FAST_GROW, "@string", KeySpec.WRITE, "string", "1.0.0",
                "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't "
                        + "exist.");
        def("DECRBY", 3, FAST_GROW, "@string", KeySpec.WRITE, "string", "1.0.0",
                "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't "
                        + "exist.");
        def("INCRBYFLOAT", 3, FAST_GROW, "@string", KeySpec.WRITE, "string", "2.6.0",
                "Increment the floating point value of a key by a number. Uses 0 as initial value if the key "
                        + "doesn't exist.");
        def("GETRANGE", 4, "readonly", "@string", KeySpec.READ, "string", "2.4.0",
                "Returns a substring of the string stored at a key.");
        def("SUBSTR", 4, "readonly", "@string", KeySpec.READ, "string", "1.0.0",
                "Returns a substring from a string value.");
        def("SETRANGE", 4, GROW, "@string", KeySpec.WRITE, "string", "2.2.0",
                "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't "
                        + "exist.");

        def("LCS", -3, "readonly", "@string", KeySpec.READ_PAIR, "string", "7.0.0",
                "Finds the longest common substring.");

        // Bitmaps
        def("SETBIT", 4, GROW, "@bitmap", KeySpec.WRITE, "bitmap", "2.2.0",
                "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.");
        def("GETBIT", 3, FAST_READ, "@bitmap", KeySpec.READ, "bitmap", "2.2.0", "Returns a bit value by offset.");
        def("BITCOUNT", -2, "readonly", "@bitmap", KeySpec.READ, "bitmap", "2.6.0",
                "Counts the number of set bits (population counting) in a string.");
        def("BITPOS", -3, "readonly", "@bitmap", KeySpec.READ, "bitmap", "2.8.7",
                "Finds the first set (1) or clear (0) bit in a string.");
        def("BITOP", -4, GROW, "@bitmap", KeySpec.DESTINATION_FIRST, "bitmap", "2.6.0",
                "Performs bitwise operations on multiple strings, and stores the result.");

        // Keys
        def("DEL", -2, "write", "@keyspace", KeySpec.WRITE_ALL, "generic", "1.0.0", "Deletes one or more keys.");
        def("WAIT", 3, "noscript", "@connection", null, "generic", "3.0.0",
                "Waits for replicas to acknowledge this connection's writes: there are none, so it answers 0, "
                        + "after the timeout when asked for any.");
        def("UNLINK", -2, FAST_WRITE, "@keyspace", KeySpec.WRITE_ALL, "generic", "4.0.0",
                "Deletes one or more keys.");
        def("EXISTS", -2, FAST_READ, "@keyspace", KeySpec.READ_ALL, "generic", "1.0.0",
                "Determines whether one or more keys exist.");
        def("TOUCH", -2, FAST_READ, "@keyspace", KeySpec.READ_ALL, "generic", "3.2.1",
                "Returns the number of existing keys out of those specified.");
        def("TYPE", 2, FAST_READ, "@keyspace", KeySpec.READ, "generic", "1.0.0",
                "Determines the type of value stored at a key.");
        def("EXPIRE", -3, FAST_WRITE, "@keyspace", KeySpec.WRITE, "generic", "1.0.0",
                "Sets the expiration time of a key in seconds.");
        def("PEXPIRE", -3, FAST_WRITE, "@keyspace", KeySpec.WRITE, "generic", "2.6.0",
                "Sets the expiration time of a key in milliseconds.");
        def("EXPIREAT", -3, FAST_WRITE, "@keyspace", KeySpec.WRITE, "generic", "1.2.0",
                "Sets the expiration time of a key to a Unix timestamp.");
        def("PEXPIREAT", -3, FAST_WRITE, "@keyspace", KeySpec.WRITE, "generic", "2.6.0",
                "Sets the expiration time of a key to a Unix milliseconds timestamp.");
        def("PERSIST", 2, FAST_WRITE, "@keyspace", KeySpec.WRITE, "generic", "2.2.0",
                "Removes the expiration time of a key.");
        def("TTL", 2, FAST_READ, "@keyspace", KeySpec.READ, "generic", "1.0.0",
                "Returns the expiration time in seconds of a key.");
        def("PTTL", 2, FAST_READ, "@keyspace", KeySpec.READ, "generic", "2.6.0",
                "Returns the expiration time in milliseconds of a key.");
        def("EXPIRETIME", 2, FAST_READ, "@keyspace", KeySpec.READ, "generic", "7.0.0",
                "Returns the expiration time of a key as a Unix timestamp.");
        def("PEXPIRETIME", 2, FAST_READ, "@keyspace", KeySpec.READ, "generic", "7.0.0",
                "Returns the expiration time of a key as a Unix milliseconds timestamp.");
        def("SCAN", -2, "readonly", "@keyspace", null, "generic", "2.8.0", "Iterates over the key names.");
        def("KEYS", 2, "readonly", "@keyspace @dangerous", null, "generic", "1.0.0",
                "Returns all key names that match a pattern.");
        def("RANDOMKEY", 1, "readonly", "@keyspace", null, "generic", "1.0.0", "Returns a random key name.");
        def("RENAME", 3, "write", "@keyspace", KeySpec.FROM_TO, "generic", "1.0.0", "Renames a key and overwrites "
                + "the destination.");
        def("RENAMENX", 3, FAST_WRITE, "@keyspace", KeySpec.FROM_TO, "generic", "1.0.0",
                "Renames a key only when the target key name doesn't exist.");
        def("COPY", -3, GROW, "@keyspace", KeySpec.SOURCE_TO_DESTINATION, "generic", "6.2.0", "Copies the value of a key to a "
                + "new key.");
        Command object = def("OBJECT", -2, "", "@keyspace", null, "generic", "2.2.3",
                "A container for object introspection commands.");
        sub(object, "ENCODING", 3, "readonly", "@keyspace", KeySpec.SECOND, "2.2.3",
                "Returns the internal encoding Redis would use for a value.");
        sub(object, "REFCOUNT", 3, "readonly", "@keyspace", KeySpec.SECOND, "2.2.3",
                "Returns the reference count of a value (always 1).");
        sub(object, "IDLETIME", 3, "readonly", "@keyspace", KeySpec.SECOND, "2.2.3",
                "Refused: this server does not track access times.");
        sub(object, "FREQ", 3, "readonly", "@keyspace", KeySpec.SECOND, "4.0.0",
                "Refused: this server does not track access frequencies.");
        sub(object, "HELP", 2, "loading stale", "@keyspace", "6.2.0", "Returns helpful text about the subcommands.");

        // Transactions
        def("MULTI", 1, "noscript loading stale fast allow_busy", "@transaction", null, "transactions", "1.2.0",
                "Starts a transaction.");
        def("EXEC", 1, "noscript loading stale skip_slowlog", "@transaction", null, "transactions", "1.2.0",
                "Executes all commands in a transaction.");
        def("DISCARD", 1, "noscript loading stale fast allow_busy", "@transaction", null, "transactions", "2.0.0",
                "Discards a transaction.");
        def("WATCH", -2, "noscript loading stale fast allow_busy", "@transaction", KeySpec.WATCHED,
                "transactions", "2.2.0", "Monitors changes to keys to determine the execution of a transaction.");
        def("UNWATCH", 1, "noscript loading stale fast allow_busy", "@transaction", null, "transactions", "2.2.0",
                "Forgets about watched keys of a transaction.");
    }

    private static Command def(String name, int arity, String flags, String categories, KeySpec keys, String group,
                               String since, String summary) {
        Command c = create(name, name.toLowerCase(Locale.ROOT), arity, flags, categories, keys,
                Group.valueOf(group.toUpperCase(Locale.ROOT)), since, summary, new LinkedHashMap<>());
        COMMANDS.put(name, c);
        return c;
    }

    private static void sub(Command parent, String name, int arity, String flags, String categories, String since,
                            String summary) {
        sub(parent, name, arity, flags, categories, null, since, summary);
    }

    private static void sub(Command parent, String name, int arity, String flags, String categories, KeySpec keys,
                            String since, String summary) {
        Command c = create(name, parent.fullName() + "|" + name.toLowerCase(Locale.ROOT), arity, flags, categories,
                keys, parent.group(), since, summary, Map.of());
        parent.subcommands().put(name, c);
    }

    /** ACL categories follow from the flags as in Redis: @write or @read, @admin and @dangerous, @fast or @slow. */
    private static Command create(String name, String fullName, int arity, String flags, String categories,
                                  KeySpec keys, Group group, String since, String summary,
                                  Map<String, Command> subcommands) {
        List<String> flagList = flags.isEmpty() ? List.of() : List.of(flags.split(" "));
        List<String> cats = new ArrayList<>();
        if (flagList.contains("write")) {
            cats.add("@write");
        }
        if (flagList.contains("readonly")) {
            cats.add("@read");
        }
        if (flagList.contains("admin")) {
            cats.add("@admin");
            cats.add("@dangerous");
        }
        for (String c : categories.isEmpty() ? new String[0] : categories.split(" ")) {
            if (!cats.contains(c)) {
                cats.add(c);
            }
        }
        cats.add(flagList.contains("fast") ? "@fast" : "@slow");
        Command c = new Command(BY_ID.size(), name, fullName, arity, flagList, List.copyOf(cats), keys, group, since,
                summary, subcommands);
        BY_ID.add(c);
        return c;
    }

    /** Names of every command and subcommand, as COMMAND LIST reports them. */
    static List<String> allNames() {
        List<String> names = new ArrayList<>();
        for (Command c : COMMANDS.values()) {
            names.add(c.fullName());
            for (Command s : c.subcommands().values()) {
                names.add(s.fullName());
            }
        }
        return names;
    }
}
