package io.nibble.bench;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One tiny end-to-end run of each command: worker JVMs forked, rows collected, CSV, markdown and PNG written. */
class BenchCliTest {

    private static Path run(String command, String... options) throws Exception {
        Path out = Files.createTempDirectory(command);
        List<String> args = new java.util.ArrayList<>(List.of(command));
        args.addAll(List.of(options));
        args.addAll(List.of("--trials", "1", "--out", out.toString()));
        int code = new CommandLine(new BenchCli()).setCaseInsensitiveEnumValuesAllowed(true)
                .execute(args.toArray(String[]::new));
        assertEquals(0, code);
        assertTrue(Files.exists(out.resolve(command + ".csv")));
        assertTrue(Files.exists(out.resolve(command + ".md")));
        return out;
    }

    private static List<String> csv(Path out, String command) throws Exception {
        return Files.readAllLines(out.resolve(command + ".csv"));
    }

    @Test
    void ycsb() throws Exception {
        Path out = run("ycsb", "--stores", "nibble-inplace,chm", "--workloads", "A,C", "--distributions",
                "uniform,zipfian", "--records", "2000", "--value-sizes", "64", "--seconds", "0.2", "--warmup", "0.1");
        assertEquals(1 + 2 * 4, csv(out, "ycsb").size(), csv(out, "ycsb").toString());
        String md = Files.readString(out.resolve("ycsb.md"));
        assertTrue(md.contains("| A | zipfian |") && md.contains("nibble-inplace / chm"), md);
        assertTrue(md.contains("machine: ") && md.contains("command: nibble bench ycsb"), md);
        assertTrue(Files.size(out.resolve("ycsb-64B.png")) > 1000);
    }

    @Test
    void fragReportsTheRssRatio() throws Exception {
        Path out = run("frag", "--stores", "nibble-append,chm", "--pairs", "fixed:1024/fixed:2048", "--live",
                String.valueOf(32L << 20));
        List<String> rows = csv(out, "frag");
        assertEquals(3, rows.size(), rows.toString());
        List<String> header = List.of(rows.getFirst().split(","));
        for (String row : rows.subList(1, rows.size())) {
            String[] cells = row.split(",");
            assertEquals("0", cells[header.indexOf("refused")], row);
            assertEquals("0", cells[header.indexOf("verify_errors")], row);
            assertEquals("true", cells[header.indexOf("reached_target")], row);
            // The whole process holds at least the live data it verified.
            assertTrue(Double.parseDouble(cells[header.indexOf("rss_ratio")]) > 1, row);
        }
        assertTrue(Files.size(out.resolve("frag.png")) > 1000);
    }

    @Test
    void churn() throws Exception {
        Path out = run("churn", "--stores", "nibble-inplace", "--capacity", String.valueOf(64L << 20),
                "--utilisations", "30,60", "--threads", "1,2", "--transactions", "20000");
        assertEquals(1 + 4, csv(out, "churn").size());
        assertTrue(Files.exists(out.resolve("churn-2t.png")));
    }

    @Test
    void sweep() throws Exception {
        Path out = run("sweep", "--capacity", String.valueOf(64L << 20), "--fills", "10,50", "--seconds", "0.3",
                "--warmup", "0.1");
        assertEquals(1 + 4, csv(out, "sweep").size());
        assertTrue(Files.readString(out.resolve("sweep.md")).contains("nibble-append vs lowest fill"));
    }

    @Test
    void breakdown() throws Exception {
        Path out = run("breakdown", "--threads", "1", "--records", "2000", "--seconds", "0.2", "--warmup", "0.1");
        assertEquals(1 + 4 * 2, csv(out, "breakdown").size());
    }

    /** A store that cannot run is reported with the worker's reason, and the others still run. */
    @Test
    void aStoreThatCannotRunIsReportedNotDropped() throws Exception {
        Path out = run("ycsb", "--stores", "nibble-inplace,resp:127.0.0.1:1", "--workloads", "C", "--distributions",
                "uniform", "--records", "1000", "--value-sizes", "64", "--seconds", "0.1", "--warmup", "0");
        String md = Files.readString(out.resolve("ycsb.md"));
        assertTrue(md.contains("Stores that could not run") && md.contains("resp:127.0.0.1:1")
                && md.contains("cannot connect"), md);
        assertEquals(2, csv(out, "ycsb").size());
    }
}
