package io.nibble.bench;

import io.nibble.UpdateMode;
import io.nibble.bench.store.ChmKvStore;
import io.nibble.bench.store.KvStore;
import io.nibble.bench.store.NibbleKvStore;
import io.nibble.bench.store.RespKvStore;
import io.nibble.bench.workload.KeyChooser;
import io.nibble.bench.workload.Ycsb;
import io.nibble.server.NibbleServer;
import io.nibble.server.ServerConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadTest {

    @Test
    void uniformSpreadsEvenly() {
        KeyChooser chooser = KeyChooser.uniform(100);
        int[] counts = new int[100];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            counts[(int) chooser.next(random)]++;
        }
        for (int c : counts) {
            assertTrue(c > 1600 && c < 2400, "count " + c);
        }
    }

    /** Zipfian(0.99) over 10,000 items: the hottest item takes about 1/zeta(n) of picks, the tail very little. */
    @Test
    void zipfianIsSkewedAndScattered() {
        int items = 10_000;
        KeyChooser chooser = KeyChooser.zipfian(items, 0.99);
        int[] counts = new int[items];
        SplittableRandom random = new SplittableRandom(2);
        int n = 500_000;
        for (int i = 0; i < n; i++) {
            counts[(int) chooser.next(random)]++;
        }
        int[] sorted = counts.clone();
        java.util.Arrays.sort(sorted);
        double hottest = (double) sorted[items - 1] / n;
        assertTrue(hottest > 0.08 && hottest < 0.13, "hottest share " + hottest); // 1/zeta(10^4, 0.99) ~ 0.10
        long top10 = 0;
        for (int i = 1; i <= 10; i++) {
            top10 += sorted[items - i];
        }
        assertTrue(top10 > n / 4, "the ten hottest items should take over a quarter of picks");
        int hottestIndex = 0;
        for (int i = 0; i < items; i++) {
            if (counts[i] == sorted[items - 1]) {
                hottestIndex = i;
            }
        }
        assertTrue(hottestIndex != 0, "popular items are scattered, not at index 0");
    }

    @Test
    void mixesHaveTheirReadShare() throws Exception {
        try (KvStore store = new ChmKvStore(1000)) {
            byte[][] keys = Ycsb.load(store, 1000, 16, 1);
            Ycsb.Result b = Ycsb.run(store, keys, Ycsb.Mix.B, KeyChooser.uniform(1000), "uniform", 16, 1, 0.2, 3);
            double share = (double) b.reads() / b.operations();
            assertTrue(share > 0.93 && share < 0.97, "B reads " + share);
            Ycsb.Result c = Ycsb.run(store, keys, Ycsb.Mix.C, KeyChooser.uniform(1000), "uniform", 16, 1, 0.1, 3);
            assertEquals(c.operations(), c.reads());
            Ycsb.Result u = Ycsb.run(store, keys, Ycsb.Mix.U, KeyChooser.uniform(1000), "uniform", 16, 1, 0.1, 3);
            assertEquals(0, u.reads());
            assertEquals(0, b.misses() + c.misses());
        }
    }

    /** Every adapter, the RESP driver included (against a server started here), runs a short workload. */
    @Test
    void everyStoreRunsATinyWorkload() throws Exception {
        ServerConfig config = new ServerConfig();
        new CommandLine(config).parseArgs("--port", "0", "--capacity", "64m", "--threads", "1");
        try (NibbleServer server = NibbleServer.start(config)) {
            KvStore[] stores = {new NibbleKvStore(UpdateMode.IN_PLACE, 64L << 20),
                new NibbleKvStore(UpdateMode.APPEND, 64L << 20), new ChmKvStore(500),
                new RespKvStore("127.0.0.1", server.port())};
            for (KvStore store : stores) {
                try (store) {
                    byte[][] keys = Ycsb.load(store, 500, 100, 5);
                    assertEquals(100, store.get(keys[7]).length, store.name());
                    assertNull(store.get(Ycsb.key(10_000)), store.name());
                    store.put(keys[1], new byte[] {1, 2, 3});
                    assertArrayEquals(new byte[] {1, 2, 3}, store.get(keys[1]), store.name());
                    Ycsb.Result r = Ycsb.run(store, keys, Ycsb.Mix.A, KeyChooser.zipfian(500, 0.99), "zipfian", 100,
                            2, 0.2, 9);
                    assertTrue(r.operations() > 0 && r.misses() == 0, store.name() + ": " + r);
                }
            }
        }
    }

    @Test
    void theCommandLineWritesItsTables() throws Exception {
        Path out = Files.createTempDirectory("ycsb");
        int code = new CommandLine(new BenchCli()).execute("ycsb", "--stores", "nibble-inplace,chm",
                "--workloads", "A,C", "--distributions", "uniform", "--records", "2000", "--value-size", "64",
                "--seconds", "0.2", "--warmup", "0.1", "--trials", "1", "--out", out.toString());
        assertEquals(0, code);
        String csv = Files.readString(out.resolve("ycsb.csv"));
        assertEquals(1 + 4, csv.lines().count(), csv);
        String md = Files.readString(out.resolve("ycsb.md"));
        assertTrue(md.contains("| A | uniform |") && md.contains("nibble-inplace / chm"), md);
    }
}
