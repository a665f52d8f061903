package io.nibble.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the OS says about this process's memory. */
public final class ProcessMemory {
    private ProcessMemory() {
    }

    /** This process's resident set size as the OS counts it (VmRSS), in bytes; -1 where /proc is absent. */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
