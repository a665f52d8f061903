package io.nibble.server;

import io.nibble.UpdateMode;
import io.nibble.demo.Sizes;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * The server's configuration: command-line flags, optionally preceded by a properties file given with
 * {@code --config} (flags win). Keys in the file are the long flag names without dashes.
 */
@Command(name = "nibble server", mixinStandardHelpOptions = true,
        description = "Serves a Nibble store over the Redis protocol (RESP2 and RESP3).")
public final class ServerConfig {
    static final String REDIS_VERSION = "7.2.0";
    static final String NIBBLE_VERSION = "0.1.0";

    @Option(names = "--bind", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String bind = "127.0.0.1";

    @Option(names = "--port", description = "TCP port (default: ${DEFAULT-VALUE}).")
    int port = 6379;

    @Option(names = "--capacity", converter = SizeConverter.class,
            description = "Store capacity, bytes or with a k/m/g suffix (default: 1g).")
    long capacity = 1L << 30;

    @Option(names = "--update-mode", description = "IN_PLACE or APPEND (default: ${DEFAULT-VALUE}).")
    UpdateMode updateMode = UpdateMode.IN_PLACE;

    @Option(names = "--threads", description = "I/O threads that also run commands (default: cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--elastic-loops", negatable = true,
            description = "Use only as many of the I/O threads as the load needs (default: on).")
    boolean elasticLoops = true;

    @Option(names = "--requirepass", description = "Password clients must AUTH with.")
    String requirePass;

    @Option(names = "--protected-mode", negatable = true,
            description = "Refuse a non-loopback bind without a password (default: on).")
    boolean protectedMode = true;

    @Option(names = "--config", description = "A properties file with the same settings, plus limits.")
    Path configFile;

    @Option(names = "--max-clients", description = "Most connections at once (default: 10000).")
    int maxClients = RespLimits.DEFAULT.maxClients();

    @Option(names = "--max-bulk-length", converter = SizeConverter.class,
            description = "Largest bulk argument (default: 512m).")
    long maxBulkLength = RespLimits.DEFAULT.maxBulkLength();

    @Option(names = "--max-arguments", description = "Most arguments per command (default: 1048576).")
    int maxArguments = RespLimits.DEFAULT.maxArguments();

    @Option(names = "--max-inline-length", converter = SizeConverter.class,
            description = "Longest inline command (default: 64k).")
    long maxInlineLength = RespLimits.DEFAULT.maxInlineLength();

    @Option(names = "--max-output-buffer", converter = SizeConverter.class,
            description = "Unread reply bytes before a client is disconnected (default: 64m).")
    long maxOutputBuffer = RespLimits.DEFAULT.maxOutputBytes();

    @Option(names = "--max-queued-bytes", converter = SizeConverter.class,
            description = "Argument bytes one MULTI may queue before EXEC (default: 512m).")
    long maxQueuedBytes = RespLimits.DEFAULT.maxQueuedBytes();

    @Option(names = "--max-input-bytes", converter = SizeConverter.class,
            description = "Argument bytes all clients together may hold in commands still arriving and in MULTI "
                    + "queues (default: a quarter of the heap).")
    long maxInputBytes = RespLimits.DEFAULT.maxInputBytes();

    @Option(names = "--slowlog-log-slower-than",
            description = "Log commands that run at least this many microseconds; negative: none (default: 10000).")
    long slowlogLogSlowerThan = 10_000;

    @Option(names = "--slowlog-max-len", description = "Slow log entries kept (default: 128).")
    int slowlogMaxLen = 128;

    @Option(names = "--latency-tracking", negatable = true,
            description = "Keep per-command latency histograms for INFO latencystats and LATENCY HISTOGRAM "
                    + "(default: on).")
    boolean latencyTracking = true;

    /** Parses sizes with {@link Sizes}. */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return Sizes.parse(value);
        }
    }

    RespLimits limits() {
        return new RespLimits((int) Math.min(Integer.MAX_VALUE, maxBulkLength), maxArguments,
                (int) Math.min(Integer.MAX_VALUE, maxInlineLength), maxClients, maxOutputBuffer,
                maxQueuedBytes, maxInputBytes);
    }

    /** Applies the {@code --config} file's settings that no flag overrode. */
    void applyFile(java.util.Set<String> givenFlags) throws IOException {
        if (configFile == null) {
            return;
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(configFile)) {
            p.load(r);
        }
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key).trim();
            if (givenFlags.contains("--" + key)) {
                continue;
            }
            switch (key) {
                case "bind" -> bind = value;
                case "port" -> port = Integer.parseInt(value);
                case "capacity" -> capacity = Sizes.parse(value);
                case "update-mode" -> updateMode = UpdateMode.valueOf(value.toUpperCase(Locale.ROOT));
                case "threads" -> threads = Integer.parseInt(value);
                case "elastic-loops" -> elasticLoops = yesOrNo(key, value);
                case "requirepass" -> requirePass = value;
                case "protected-mode" -> protectedMode = yesOrNo(key, value);
                case "max-clients" -> maxClients = Integer.parseInt(value);
                case "max-bulk-length" -> maxBulkLength = Sizes.parse(value);
                case "max-arguments" -> maxArguments = Integer.parseInt(value);
                case "max-inline-length" -> maxInlineLength = Sizes.parse(value);
                case "max-output-buffer" -> maxOutputBuffer = Sizes.parse(value);
                case "max-queued-bytes" -> maxQueuedBytes = Sizes.parse(value);
                case "max-input-bytes" -> maxInputBytes = Sizes.parse(value);
                case "slowlog-log-slower-than" -> slowlogLogSlowerThan = Long.parseLong(value);
                case "slowlog-max-len" -> slowlogMaxLen = Integer.parseInt(value);
                case "latency-tracking" -> latencyTracking = yesOrNo(key, value);
                default -> throw new IllegalArgumentException("unknown setting '" + key + "' in " + configFile);
            }
        }
    }

    /** A switch in the config file: yes or no as Redis writes them, or true or false; anything else is refused. */
    private boolean yesOrNo(String key, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "yes", "true" -> true;
            case "no", "false" -> false;
            default -> throw new IllegalArgumentException("setting '" + key + "' in " + configFile
                    + " must be yes or no, not '" + value + "'");
        };
    }

    /** Refuses configurations that would expose an open server or cannot work. */
    void validate() throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be from 0 to 65535: " + port);
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads must be from 1 to 1024: " + threads);
        }
        limits();
        if (slowlogMaxLen < 0) {
            throw new IllegalArgumentException("slowlog-max-len must not be negative: " + slowlogMaxLen);
        }
        if (slowlogLogSlowerThan > Long.MAX_VALUE / 1000) {
            throw new IllegalArgumentException("slowlog-log-slower-than is too large: " + slowlogLogSlowerThan);
        }
        boolean loopback = InetAddress.getByName(bind).isLoopbackAddress();
        if (!loopback && requirePass == null && protectedMode) {
            throw new IllegalArgumentException("refusing to listen on " + bind + " without --requirepass "
                    + "(protected mode); set a password or pass --no-protected-mode");
        }
    }

    /** Parameters CONFIG GET reports, as name/value pairs. */
    List<String[]> parameters() {
        return List.of(
                new String[] {"bind", bind},
                new String[] {"port", Integer.toString(port)},
                new String[] {"maxmemory", Long.toString(capacity)},
                new String[] {"maxclients", Integer.toString(maxClients)},
                new String[] {"databases", "1"},
                new String[] {"save", ""},
                new String[] {"appendonly", "no"},
                new String[] {"protected-mode", protectedMode ? "yes" : "no"},
                new String[] {"proto-max-bulk-len", Long.toString(maxBulkLength)},
                new String[] {"io-threads", Integer.toString(threads)},
                new String[] {"slowlog-log-slower-than", Long.toString(slowlogLogSlowerThan)},
                new String[] {"slowlog-max-len", Integer.toString(slowlogMaxLen)},
                new String[] {"latency-tracking", latencyTracking ? "yes" : "no"},
                new String[] {"latency-tracking-info-percentiles", LatencyStats.infoPercentiles()},
                new String[] {"requirepass", requirePass == null ? "" : "********"});
    }

    @Override
    public String toString() {
        return "bind=" + bind + " port=" + port + " capacity=" + Sizes.format(capacity) + " update-mode=" + updateMode
                + " threads=" + threads + " elastic-loops=" + elasticLoops + " auth=" + (requirePass != null)
                + " protected-mode=" + protectedMode + " slowlog=" + slowlogLogSlowerThan + "us/" + slowlogMaxLen
                + " latency-tracking=" + latencyTracking + " limits=" + limits();
    }
}
