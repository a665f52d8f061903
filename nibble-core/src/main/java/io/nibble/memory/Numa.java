package io.nibble.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** NUMA topology as the OS reports it under {@code /sys/devices/system/node}. */
public final class Numa {
    private static final Pattern NODE_DIR = Pattern.compile("node\\d+");

    private Numa() { }

    /**
     * For each CPU number, its node in {@code [0, nodes)}. CPUs the OS does not place are spread round-robin; with
     * one node every CPU maps to 0.
     */
    public static int[] cpuToNode(int nodes, int cpus) {
        int[] map = new int[Math.max(1, cpus)];
        for (int c = 0; c < map.length; c++) {
            map[c] = c % Math.max(1, nodes);
        }
        if (nodes <= 1 || nodes != nodeCount()) {
            return map;
        }
        for (int n = 0; n < nodes; n++) {
            try {
                String list = Files.readString(Path.of("/sys/devices/system/node/node" + n + "/cpulist")).trim();
                for (String range : list.split(",")) {
                    if (range.isEmpty()) {
                        continue;
                    }
                    String[] ends = range.split("-");
                    int lo = Integer.parseInt(ends[0].trim());
                    int hi = ends.length > 1 ? Integer.parseInt(ends[1].trim()) : lo;
                    for (int c = lo; c <= hi && c < map.length; c++) {
                        map[c] = n;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return map;
            }
        }
        return map;
    }

    /** Number of NUMA nodes with memory; 1 when the OS does not say. */
    public static int nodeCount() {
        Path root = Path.of("/sys/devices/system/node");
        if (!Files.isDirectory(root)) {
            return 1;
        }
        try (Stream<Path> children = Files.list(root)) {
            long n = children.filter(p -> NODE_DIR.matcher(p.getFileName().toString()).matches()).count();
            return (int) Math.max(1, n);
        } catch (IOException e) {
            return 1;
        }
    }
}
