package io.nibble.bench.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What every result is printed with: the machine, the OS and the JDK; and the process's resident memory. */
public final class Machine {
    private Machine() { }

    public static String describe() {
        return String.format(Locale.ROOT, "%d cores (%s), %s RAM, %s %s, JDK %s (%s)",
                Runtime.getRuntime().availableProcessors(), cpuModel(), memTotal(), System.getProperty("os.name"),
                System.getProperty("os.version"), Runtime.version(), System.getProperty("java.vm.vendor"));
    }

    private static String cpuModel() {
        return procField(Path.of("/proc/cpuinfo"), "model name").orElse(System.getProperty("os.arch"));
    }

    private static String memTotal() {
        return procField(Path.of("/proc/meminfo"), "MemTotal")
                .map(v -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(v.split("\\s+")[0]) / 1048576.0))
                .orElse("unknown");
    }

    private static java.util.Optional<String> procField(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return java.util.Optional.of(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc unreadable: describe what we can
        }
        return java.util.Optional.empty();
    }

    /** This process's resident set size as the OS counts it (VmRSS), in bytes; -1 where /proc is absent. */
    public static long residentBytes() {
        return io.nibble.memory.ProcessMemory.residentBytes();
    }
}
