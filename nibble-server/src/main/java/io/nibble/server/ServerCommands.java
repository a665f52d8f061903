package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.nibble.Nibble;
import io.nibble.NibbleStats;
import io.nibble.memory.ProcessMemory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

import static io.nibble.server.Arguments.parseLong;
import static io.nibble.server.Arguments.text;

/**
 * The server commands: COMMAND, CONFIG, INFO, SLOWLOG, MEMORY, MONITOR, DBSIZE, FLUSHALL, FLUSHDB, TIME, ROLE and
 * SHUTDOWN.
 */
final class ServerCommands {
    private final Nibble store;
    private final ServerConfig config;
    private final ServerStats stats;
    private final SlowLog slowLog;
    private final Clients clients;
    private final KeyLocks locks;
    private final InputBudget inputBudget;
    private final Runnable shutdown;

    ServerCommands(Nibble store, ServerConfig config, ServerStats stats, SlowLog slowLog, Clients clients,
                   KeyLocks locks, InputBudget inputBudget, Runnable shutdown) {
        this.store = store;
        this.config = config;
        this.stats = stats;
        this.slowLog = slowLog;
        this.clients = clients;
        this.locks = locks;
        this.inputBudget = inputBudget;
        this.shutdown = shutdown;
    }

    void run(Session s, String name, byte[][] a, ByteBuf out) {
        switch (name) {
            case "COMMAND" -> command(s, a, out);
            case "CONFIG" -> config(s, a, out);
            case "INFO" -> {
                List<String> sections = new ArrayList<>();
                for (int i = 1; i < a.length; i++) {
                    sections.add(text(a[i]).toLowerCase(Locale.ROOT));
                }
                Reply.verbatim(out, info(sections.isEmpty() ? List.of("default") : sections), s.protocol);
            }
            case "SLOWLOG" -> slowlog(a, out);
            case "MEMORY" -> memory(s, a, out);
            case "LATENCY" -> latency(s, a, out);
            case "MONITOR" -> {
                clients.startMonitoring(s);
                Reply.write(out, Reply.OK);
            }
            case "DBSIZE" -> Reply.integer(out, store.size());
            case "LASTSAVE" -> Reply.integer(out, stats.startMillis / 1000); // as Redis before any save
            case "FLUSHALL", "FLUSHDB" -> flush(s, a, out);
            case "TIME" -> {
                long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
                Reply.arrayHeader(out, 2);
                Reply.bulk(out, Long.toString(micros / 1_000_000));
                Reply.bulk(out, Long.toString(micros % 1_000_000));
            }
            case "ROLE" -> {
                Reply.arrayHeader(out, 3);
                Reply.bulk(out, "master");
                Reply.integer(out, 0);
                Reply.write(out, Reply.EMPTY_ARRAY);
            }
            case "SHUTDOWN" -> {
                // As Redis: no reply on success, the connection just closes as the server stops.
                shutdown.run();
                s.closeAfterReply = true;
            }
            default -> throw new IllegalStateException(name + " is in the command table but has no case here");
        }
    }

    /**
     * FLUSHALL and FLUSHDB (one database: the same). ASYNC and SYNC are accepted and both clear before replying. It
     * runs with every key stripe held, and notes the stripes of the keys that existed for the release.
     */
    private void flush(Session s, byte[][] a, ByteBuf out) {
        String mode = a.length == 2 ? text(a[1]).toUpperCase(Locale.ROOT) : "SYNC";
        if (a.length > 2 || !(mode.equals("ASYNC") || mode.equals("SYNC"))) {
            throw new CommandError("ERR syntax error");
        }
        java.util.BitSet flushed = new java.util.BitSet(KeyLocks.STRIPES);
        s.flushedStripes = flushed; // before the clear: if it fails half way, the keys it removed still count
        store.clear(key -> flushed.set(locks.stripe(key)));
        Reply.write(out, Reply.OK);
    }

    /** COMMAND and its subcommands, answered from {@link CommandTable}. */
    private void command(Session s, byte[][] a, ByteBuf out) {
        String sub = a.length > 1 ? text(a[1]).toUpperCase(Locale.ROOT) : "";
        switch (sub) {
            case "" -> {
                Reply.arrayHeader(out, CommandTable.commands().size());
                CommandTable.commands().forEach(c -> commandInfo(c, out));
            }
            case "COUNT" -> Reply.integer(out, CommandTable.commands().size());
            case "INFO" -> {
                if (a.length == 2) {
                    command(s, new byte[][] {a[0]}, out);
                    return;
                }
                Reply.arrayHeader(out, a.length - 2);
                for (int i = 2; i < a.length; i++) {
                    CommandTable.Command c = CommandTable.lookupFullName(text(a[i]));
                    if (c == null) {
                        Reply.nil(out, s.protocol);
                    } else {
                        commandInfo(c, out);
                    }
                }
            }
            case "DOCS" -> {
                List<CommandTable.Command> wanted = new ArrayList<>();
                if (a.length == 2) {
                    wanted.addAll(CommandTable.commands());
                }
                for (int i = 2; i < a.length; i++) {
                    CommandTable.Command c = CommandTable.lookupFullName(text(a[i]));
                    if (c != null) { // as Redis: unknown names are left out
                        wanted.add(c);
                    }
                }
                Reply.mapHeader(out, wanted.size(), s.protocol);
                for (CommandTable.Command c : wanted) {
                    Reply.bulk(out, c.fullName());
                    commandDocs(c, s.protocol, out);
                }
            }
            case "LIST" -> {
                List<String> names = CommandTable.allNames();
                if (a.length > 2) {
                    if (a.length != 5 || !text(a[2]).equalsIgnoreCase("FILTERBY")) {
                        throw new CommandError("ERR syntax error");
                    }
                    String filter = text(a[3]).toUpperCase(Locale.ROOT);
                    String value = text(a[4]);
                    names = switch (filter) {
                        case "MODULE" -> List.of();
                        case "ACLCAT" -> names.stream().filter(n -> CommandTable.lookupFullName(n).categories()
                                .contains("@" + value.toLowerCase(Locale.ROOT))).toList();
                        case "PATTERN" -> names.stream().filter(n -> Glob.matches(a[4],
                                n.getBytes(StandardCharsets.US_ASCII))).toList();
                        default -> throw new CommandError("ERR syntax error");
                    };
                }
                Reply.arrayHeader(out, names.size());
                names.forEach(n -> Reply.bulk(out, n));
            }
            case "GETKEYS" -> {
                byte[][] target = Arrays.copyOfRange(a, 2, a.length);
                CommandTable.Command c = CommandTable.lookup(target[0]);
                if (c == null) {
                    throw new CommandError("ERR Invalid command specified");
                }
                c = CommandTable.resolve(c, target);
                if (c == null || !c.accepts(target.length)) {
                    throw new CommandError("ERR Invalid number of arguments specified for command");
                }
                KeySpec keys = c.keys();
                int n = keys == null ? 0 : keys.keyCount(target);
                if (n == 0) {
                    throw new CommandError("ERR The command has no key arguments");
                }
                Reply.arrayHeader(out, n);
                for (int i = 0; i < n; i++) {
                    Reply.bulk(out, keys.key(target, i));
                }
            }
            case "HELP" -> Reply.help(out, "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "(no subcommand)", "    Return details about all commands.",
                    "COUNT", "    Return the total number of commands in this server.",
                    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
                    "    Return a list of all commands in this server.",
                    "INFO [<command-name> ...]", "    Return details about the given commands, or all of them.",
                    "DOCS [<command-name> ...]", "    Return the documentation of the given commands, or all of them.",
                    "GETKEYS <full-command>", "    Return the keys from a full command.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("COMMAND " + sub + " is in the command table but not here");
        }
    }

    /** One command's COMMAND INFO entry, in Redis 7's ten fields; tips and key specifications are left empty. */
    private static void commandInfo(CommandTable.Command c, ByteBuf out) {
        Reply.arrayHeader(out, 10);
        Reply.bulk(out, c.fullName());
        Reply.integer(out, c.arity());
        Reply.arrayHeader(out, c.flags().size());
        c.flags().forEach(f -> Reply.simple(out, f));
        int[] keys = c.isContainer() ? new int[3] : c.keyPositions();
        Reply.integer(out, keys[0]);
        Reply.integer(out, keys[1]);
        Reply.integer(out, keys[2]);
        Reply.arrayHeader(out, c.categories().size());
        c.categories().forEach(category -> Reply.simple(out, category));
        Reply.write(out, Reply.EMPTY_ARRAY);
        Reply.write(out, Reply.EMPTY_ARRAY);
        Reply.arrayHeader(out, c.subcommands().size());
        c.subcommands().values().forEach(sub -> commandInfo(sub, out));
    }

    /** One command's COMMAND DOCS entry: summary, since, group and its subcommands' docs. */
    private static void commandDocs(CommandTable.Command c, int protocol, ByteBuf out) {
        Reply.mapHeader(out, c.isContainer() ? 4 : 3, protocol);
        Reply.bulk(out, "summary");
        Reply.bulk(out, c.summary());
        Reply.bulk(out, "since");
        Reply.bulk(out, c.since());
        Reply.bulk(out, "group");
        Reply.bulk(out, c.group().redisName());
        if (c.isContainer()) {
            Reply.bulk(out, "subcommands");
            Reply.mapHeader(out, c.subcommands().size(), protocol);
            for (CommandTable.Command sub : c.subcommands().values()) {
                Reply.bulk(out, sub.fullName());
                commandDocs(sub, protocol, out);
            }
        }
    }

    /** SLOWLOG GET [count], LEN, RESET and HELP. */
    private void slowlog(byte[][] a, ByteBuf out) {
        switch (text(a[1]).toUpperCase(Locale.ROOT)) {
            case "GET" -> {
                if (a.length > 3) {
                    throw new CommandError("ERR syntax error");
                }
                long count = a.length == 3 ? parseLong(a[2]) : 10;
                if (count < -1) {
                    throw new CommandError("ERR count should be greater than or equal to -1");
                }
                slowLog.write(out, count);
            }
            case "LEN" -> Reply.integer(out, slowLog.length());
            case "RESET" -> {
                slowLog.reset();
                Reply.write(out, Reply.OK);
            }
            case "HELP" -> Reply.help(out, "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "GET [<count>]", "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                    "    Entries are made of:", "    id, timestamp, time in microseconds, arguments array,"
                            + " client IP and port,", "    client name",
                    "LEN", "    Return the length of the slowlog.",
                    "RESET", "    Reset the slowlog.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("SLOWLOG subcommand in the table but not here");
        }
    }

    private void config(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "GET" -> {
                List<String[]> pairs = new ArrayList<>();
                for (String[] entry : config.parameters()) {
                    for (int i = 2; i < a.length; i++) {
                        if (Glob.matches(a[i], entry[0].getBytes(StandardCharsets.US_ASCII))) {
                            pairs.add(entry);
                            break;
                        }
                    }
                }
                Reply.mapHeader(out, pairs.size(), s.protocol);
                for (String[] p : pairs) {
                    Reply.bulk(out, p[0]);
                    Reply.bulk(out, p[1]);
                }
            }
            case "SET" -> {
                if (a.length < 4 || a.length % 2 != 0) {
                    throw new CommandError("ERR wrong number of arguments for 'config|set' command");
                }
                // Settings are fixed at start-up: setting one to the value it has is all that can succeed.
                for (int i = 2; i < a.length; i += 2) {
                    String parameter = text(a[i]).toLowerCase(Locale.ROOT);
                    String[] current = config.parameters().stream()
                            .filter(entry -> entry[0].equals(parameter)).findFirst().orElse(null);
                    if (current == null) {
                        throw new CommandError("ERR Unknown option or number of arguments for CONFIG SET - '"
                                + parameter + "'");
                    }
                    if (!current[1].equals(text(a[i + 1]))) {
                        throw new CommandError("ERR CONFIG SET failed (possibly related to argument '" + parameter
                                + "') - this server takes its settings at start-up only");
                    }
                }
                Reply.write(out, Reply.OK);
            }
            case "RESETSTAT" -> {
                stats.reset();
                stats.expiredKeysAtReset = store.stats().expiredKeys(); // the engine's count never restarts
                Reply.write(out, Reply.OK);
            }
            case "REWRITE" -> throw new CommandError(config.configFile == null
                    ? "ERR The server is running without a config file"
                    : "ERR CONFIG REWRITE is not supported; edit " + config.configFile);
            case "HELP" -> Reply.help(out, "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
                    "SET <directive> <value>", "    Accepted only with the value the parameter has: settings are"
                            + " fixed at start-up.",
                    "RESETSTAT", "    Reset statistics reported by the INFO command.",
                    "REWRITE", "    Refused: settings are fixed at start-up.",
                    "HELP", "    Print this help.");
            default -> throw new IllegalStateException("CONFIG " + sub + " is in the command table but not here");
        }
    }

    /** Redis's LATENCY DOCTOR answer while its latency monitor is off, the only state this server has. */
    private static final String LATENCY_DOCTOR = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in "
            + "this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to "
            + "enable it. If we weren't in a deep space mission I'd suggest to take a look at "
            + "https://redis.io/topics/latency-monitor.\n";

    /**
     * LATENCY: HISTOGRAM reports the per-command distributions; the latency monitor's subcommands answer as Redis
     * does with its monitor off (latency-monitor-threshold 0), which is the only state this server has.
     */
    private void latency(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "HISTOGRAM" -> {
                List<CommandTable.Command> wanted = null; // every command called
                if (a.length > 2) {
                    wanted = new ArrayList<>();
                    for (int i = 2; i < a.length; i++) {
                        CommandTable.Command c = CommandTable.lookupFullName(text(a[i]));
                        if (c != null) { // as Redis: unknown names are left out
                            wanted.add(c);
                        }
                    }
                }
                stats.latencyStats.writeHistograms(out, wanted, s.protocol);
            }
            case "LATEST" -> Reply.write(out, Reply.EMPTY_ARRAY);
            case "HISTORY" -> Reply.write(out, Reply.EMPTY_ARRAY);
            case "RESET" -> Reply.integer(out, 0);
            case "GRAPH" -> throw new CommandError("ERR No samples available for event '" + text(a[2]) + "'");
            case "DOCTOR" -> Reply.verbatim(out, LATENCY_DOCTOR, s.protocol);
            case "HELP" -> Reply.help(out, "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "DOCTOR", "    Return a human readable latency analysis report.",
                    "GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
                    "HISTORY <event>", "    Return time-latency samples for the <event> class.",
                    "LATEST", "    Return the latest latency samples for all events.",
                    "RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
                    "    (default: reset all data for all event classes)",
                    "HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a "
                            + "histogram for the specified command names.",
                    "    If no commands are specified then all histograms are replied.",
                    "HELP", "    Prints this help.");
            default -> throw new IllegalStateException("LATENCY " + sub + " is in the command table but not here");
        }
    }

    private void memory(Session s, byte[][] a, ByteBuf out) {
        String sub = text(a[1]).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "USAGE" -> {
                if (a.length != 3 && !(a.length == 5 && text(a[3]).equalsIgnoreCase("SAMPLES"))) {
                    throw new CommandError("ERR syntax error");
                }
                long bytes = store.memoryUsage(a[2]);
                if (bytes < 0) {
                    Reply.bulkOrNil(out, null, s.protocol);
                } else {
                    Reply.integer(out, bytes);
                }
            }
            case "STATS" -> memoryStats(s, out);
            case "DOCTOR" -> Reply.verbatim(out, memoryDoctor(store.stats()), s.protocol);
            case "HELP" -> Reply.help(out, "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "DOCTOR",
                    "    Return memory problems reports.",
                    "STATS",
                    "    Return information about the memory usage of the server.",
                    "USAGE <key> [SAMPLES <count>]",
                    "    Return the bytes the key's record and its index entry take in the store.",
                    "HELP",
                    "    Prints this help.");
            default -> throw new IllegalStateException("MEMORY " + sub + " is in the command table but not here");
        }
    }

    /**
     * MEMORY STATS in Redis's shape, from the engine's counters: the log's held bytes plus the hash index stand for
     * what the allocator holds, the live records for the dataset and the index for the main hash table.
     */
    private void memoryStats(Session s, ByteBuf out) {
        NibbleStats st = store.stats();
        long total = st.usedBytes() + st.indexBytes();
        Reply.mapHeader(out, st.keys() > 0 ? 9 : 8, s.protocol);
        Reply.bulk(out, "total.allocated");
        Reply.integer(out, total);
        if (st.keys() > 0) { // as Redis, which lists only databases that hold keys
            Reply.bulk(out, "db.0");
            Reply.mapHeader(out, 2, s.protocol);
            Reply.bulk(out, "overhead.hashtable.main");
            Reply.integer(out, st.indexBytes());
            Reply.bulk(out, "overhead.hashtable.expires");
            Reply.integer(out, 0); // an expiry lives in its record
        }
        Reply.bulk(out, "overhead.total");
        Reply.integer(out, total - st.liveBytes());
        Reply.bulk(out, "keys.count");
        Reply.integer(out, st.keys());
        Reply.bulk(out, "keys.bytes-per-key");
        Reply.integer(out, st.keys() == 0 ? 0 : total / st.keys());
        Reply.bulk(out, "dataset.bytes");
        Reply.integer(out, st.liveBytes());
        Reply.bulk(out, "dataset.percentage");
        Reply.decimal(out, total == 0 ? 0 : 100.0 * st.liveBytes() / total, s.protocol);
        Reply.bulk(out, "fragmentation");
        Reply.decimal(out, fragmentation(st), s.protocol);
        Reply.bulk(out, "fragmentation.bytes");
        Reply.integer(out, st.residentBytes() - total);
    }

    /** Resident memory over what the store holds (log blocks and index), as Redis divides RSS by its allocations. */
    private static double fragmentation(NibbleStats st) {
        long total = st.usedBytes() + st.indexBytes();
        return total == 0 ? 0 : (double) st.residentBytes() / total;
    }

    /**
     * MEMORY DOCTOR: Redis's wording for a store too small to judge and for a healthy one, and a report when
     * resident memory runs well above what the store holds.
     */
    static String memoryDoctor(NibbleStats st) {
        if (st.usedBytes() + st.indexBytes() < 5L << 20) {
            return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used "
                    + "in these conditions. Please, leave for your mission on Earth and fill it with some data. The "
                    + "new Sam and I will be back to our programming as soon as I finished rebooting.";
        }
        double ratio = fragmentation(st);
        if (ratio <= 1.4) {
            return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on "
                    + "this base.";
        }
        return String.format(Locale.ROOT, "Sam, I detected a few issues in this Nibble instance memory implants:\n\n"
                + " * High total RSS: resident memory is %.2f times what the store holds in its log and index (%d "
                + "bytes resident, %d held). Memory the store gave back that the operating system has not "
                + "reclaimed yet counts as resident until it does.\n\n"
                + "I'm here to keep you safe, Sam. I want to help you.\n", ratio, st.residentBytes(),
                st.usedBytes() + st.indexBytes());
    }

    /**
     * INFO: the named sections, as Redis names them. "default" (or none) gives every section but commandstats,
     * "all" and "everything" add it.
     */
    String info(List<String> sections) {
        boolean everything = sections.contains("all") || sections.contains("everything");
        boolean all = everything || sections.contains("default");
        Predicate<String> wanted = name -> all || sections.contains(name);
        NibbleStats st = store.stats();
        StringBuilder b = new StringBuilder();
        if (wanted.test("server")) {
            b.append("# Server\r\nredis_version:").append(ServerConfig.REDIS_VERSION)
                    .append("\r\nnibble_version:").append(ServerConfig.NIBBLE_VERSION)
                    .append("\r\nredis_mode:standalone\r\nos:").append(System.getProperty("os.name"))
                    .append("\r\narch_bits:64\r\nprocess_id:").append(ProcessHandle.current().pid())
                    .append("\r\ntcp_port:").append(config.port)
                    .append("\r\nuptime_in_seconds:").append(stats.uptimeSeconds())
                    .append("\r\nio_threads:").append(config.threads)
                    .append("\r\nio_threads_active:").append(stats.activeLoops.getAsInt())
                    .append("\r\njava_version:").append(Runtime.version()).append("\r\n\r\n");
        }
        if (wanted.test("clients")) {
            b.append("# Clients\r\nconnected_clients:").append(stats.connectedClients.get())
                    .append("\r\nblocked_clients:").append(stats.blockedClients.get())
                    .append("\r\nmaxclients:").append(config.limits().maxClients()).append("\r\n\r\n");
        }
        if (wanted.test("memory")) {
            double ratio = st.liveBytes() == 0 ? 0 : (double) st.residentBytes() / st.liveBytes();
            // As in Redis: the whole process's resident memory, and its ratio to what the data takes.
            long processRss = ProcessMemory.residentBytes();
            long rss = processRss < 0 ? st.residentBytes() : processRss;
            double fragmentation = st.usedBytes() == 0 ? 0 : (double) rss / st.usedBytes();
            b.append("# Memory\r\nused_memory:").append(st.usedBytes())
                    .append("\r\nused_memory_rss:").append(rss)
                    .append("\r\nmaxmemory:").append(st.capacityBytes())
                    .append("\r\nnibble_live_bytes:").append(st.liveBytes())
                    .append("\r\nnibble_used_bytes:").append(st.usedBytes())
                    .append("\r\nnibble_resident_bytes:").append(st.residentBytes())
                    .append("\r\nnibble_index_bytes:").append(st.indexBytes())
                    .append("\r\nnibble_resident_over_live:").append(String.format(Locale.ROOT, "%.3f", ratio))
                    .append("\r\nnibble_compacted_segments:").append(st.compactedSegments())
                    .append("\r\nnibble_input_reserved_bytes:").append(inputBudget.reserved())
                    .append("\r\nnibble_max_input_bytes:").append(inputBudget.limit())
                    .append("\r\nmem_fragmentation_ratio:").append(String.format(Locale.ROOT, "%.2f", fragmentation))
                    .append("\r\n\r\n");
        }
        if (wanted.test("stats")) {
            b.append("# Stats\r\ntotal_connections_received:").append(stats.connectionsReceived.get())
                    .append("\r\ntotal_commands_processed:").append(stats.commandStats.totalCalls())
                    .append("\r\nrejected_connections:").append(stats.rejectedConnections.get())
                    .append("\r\nprotocol_errors:").append(stats.protocolErrors.get())
                    .append("\r\ntotal_error_replies:").append(stats.commandStats.totalErrorReplies())
                    .append("\r\nexpired_keys:").append(st.expiredKeys() - stats.expiredKeysAtReset)
                    .append("\r\nnibble_full_rejections:").append(st.fullRejections()).append("\r\n\r\n");
        }
        if (wanted.test("persistence")) {
            // Nothing is ever saved or loaded: the fields clients poll before trusting a server say so.
            b.append("# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0"
                    + "\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:").append(stats.startMillis / 1000)
                    .append("\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\n\r\n");
        }
        if (wanted.test("replication")) {
            b.append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n\r\n");
        }
        if (wanted.test("cpu")) {
            appendCpu(b);
        }
        if (everything || sections.contains("commandstats")) {
            b.append("# Commandstats\r\n");
            stats.commandStats.appendCommandStats(b);
            b.append("\r\n");
        }
        if (wanted.test("errorstats")) {
            b.append("# Errorstats\r\n");
            stats.commandStats.appendErrorStats(b);
            b.append("\r\n");
        }
        if (everything || sections.contains("latencystats")) {
            b.append("# Latencystats\r\n");
            stats.latencyStats.appendInfo(b);
            b.append("\r\n");
        }
        if (wanted.test("keyspace")) {
            b.append("# Keyspace\r\n");
            if (st.keys() > 0) {
                b.append("db0:keys=").append(st.keys()).append(",expires=").append(st.expiringKeys())
                        .append(",avg_ttl=").append(st.averageTtlMillis(System.currentTimeMillis())).append("\r\n");
            }
        }
        return b.toString();
    }

    /** INFO cpu: the process's system and user CPU seconds, from /proc where the platform has it. */
    private static void appendCpu(StringBuilder b) {
        b.append("# CPU\r\n");
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            // Fields after the command name, which is in parentheses and may contain spaces: utime is the 12th.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double ticksPerSecond = 100.0; // USER_HZ, fixed at 100 by the Linux ABI
            b.append(String.format(Locale.ROOT, "used_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\n",
                    Long.parseLong(fields[12]) / ticksPerSecond, Long.parseLong(fields[11]) / ticksPerSecond));
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux: the section stays empty rather than guessed.
        }
        b.append("\r\n");
    }
}
