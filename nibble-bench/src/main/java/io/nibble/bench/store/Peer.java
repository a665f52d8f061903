package io.nibble.bench.store;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The stores the harness can run, by name, with the JVM flags each needs on JDK 25 and whether its data lives on
 * the Java heap (which sizes the worker JVM's heap). {@code nibble-inplace+one-head} style names select engine
 * ablations; {@code resp:HOST:PORT} is any server that speaks the Redis protocol.
 */
public record Peer(String name, boolean onHeap, List<String> jvmFlags, Function<StoreSpec, KvStore> factory) {

    /** Every worker JVM gets these: the peers' JNI and Unsafe use would otherwise print warnings on JDK 24+. */
    public static final List<String> COMMON_FLAGS = List.of(
            "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow");

    /** Chronicle Map compiles generated classes at run time and reaches into JDK internals. */
    private static final List<String> CHRONICLE_FLAGS = List.of(
            "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "-Dchronicle.analytics.disable=true");

    public static final List<String> NAMES = List.of(
            "nibble-inplace", "nibble-append", "chm", "caffeine", "chronicle", "ohc", "mapdb");

    public static Peer byName(String name) {
        String base = name.toLowerCase(Locale.ROOT);
        if (base.startsWith("nibble-")) {
            return new Peer(name, false, List.of(), spec -> new NibbleKvStore(name, spec));
        }
        if (base.startsWith("resp:")) {
            String[] parts = name.split(":");
            if (parts.length != 3) {
                throw new IllegalArgumentException("expected resp:HOST:PORT, got " + name);
            }
            int port = Integer.parseInt(parts[2]);
            return new Peer(name, false, List.of(), spec -> new RespKvStore(parts[1], port));
        }
        return switch (base) {
            case "chm" -> new Peer(name, true, List.of(), ChmKvStore::concurrentHashMap);
            case "caffeine" -> new Peer(name, true, List.of(), ChmKvStore::caffeine);
            case "chronicle" -> new Peer(name, false, CHRONICLE_FLAGS, ChronicleKvStore::open);
            case "ohc" -> new Peer(name, false, List.of(), OhcKvStore::new);
            case "mapdb" -> new Peer(name, false, List.of(), MapDbKvStore::open);
            default -> throw new IllegalArgumentException("unknown store '" + name + "'; known: "
                    + String.join(", ", NAMES) + ", nibble-*+one-head|random-head|shared-epoch, resp:HOST:PORT");
        };
    }

    public KvStore open(StoreSpec spec) {
        return factory.apply(spec);
    }
}
