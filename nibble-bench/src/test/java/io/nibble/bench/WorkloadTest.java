package io.nibble.bench;

import io.nibble.bench.store.ChmKvStore;
import io.nibble.bench.store.KvStore;
import io.nibble.bench.store.Peer;
import io.nibble.bench.store.StoreSpec;
import io.nibble.bench.workload.Churn;
import io.nibble.bench.workload.Frag;
import io.nibble.bench.workload.KeyChooser;
import io.nibble.bench.workload.SizeDistribution;
import io.nibble.bench.workload.Stamp;
import io.nibble.bench.workload.Ycsb;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
        try (KvStore store = ChmKvStore.concurrentHashMap(new StoreSpec(1 << 20, 1000, 16, 16))) {
            byte[][] keys = Ycsb.load(store, 1000, 16, 1);
            Ycsb.Result b = Ycsb.run(store, keys, Ycsb.Mix.B, KeyChooser.uniform(1000), "uniform", 16, 1, 0.2, 3);
            double share = (double) b.reads() / b.operations();
            assertTrue(share > 0.93 && share < 0.97, "B reads " + share);
            Ycsb.Result a = Ycsb.run(store, keys, Ycsb.Mix.A, KeyChooser.uniform(1000), "uniform", 16, 2, 0.2, 3);
            double half = (double) a.reads() / a.operations();
            assertTrue(half > 0.47 && half < 0.53, "A reads " + half);
            Ycsb.Result c = Ycsb.run(store, keys, Ycsb.Mix.C, KeyChooser.uniform(1000), "uniform", 16, 1, 0.1, 3);
            assertEquals(c.operations(), c.reads());
            Ycsb.Result u = Ycsb.run(store, keys, Ycsb.Mix.U, KeyChooser.uniform(1000), "uniform", 16, 1, 0.1, 3);
            assertEquals(0, u.reads());
            assertEquals(0, a.misses() + b.misses() + c.misses());
        }
    }

    @Test
    void sizeDistributionsParseAndStayInRange() {
        SizeDistribution fixed = SizeDistribution.parse("fixed:130");
        SizeDistribution uniform = SizeDistribution.parse("uniform:100-150");
        SplittableRandom random = new SplittableRandom(3);
        int seenMin = Integer.MAX_VALUE;
        int seenMax = 0;
        for (int i = 0; i < 20_000; i++) {
            assertEquals(130, fixed.next(random));
            int s = uniform.next(random);
            seenMin = Math.min(seenMin, s);
            seenMax = Math.max(seenMax, s);
        }
        assertEquals(100, seenMin);
        assertEquals(150, seenMax);
        assertEquals("uniform:100-150", uniform.toString());
        assertThrows(IllegalArgumentException.class, () -> SizeDistribution.parse("gauss:100"));
        assertThrows(IllegalArgumentException.class, () -> SizeDistribution.parse("uniform:200-100"));
    }

    @Test
    void stampsDetectForeignTruncatedAndMissingValues() {
        byte[] v = Stamp.value(77, 300);
        assertTrue(Stamp.check(v, 77, 300));
        assertFalse(Stamp.check(v, 78, 300));
        assertFalse(Stamp.check(Arrays.copyOf(v, 299), 77, 300));
        assertFalse(Stamp.check(null, 77, 300));
        byte[] corrupt = v.clone();
        corrupt[299] ^= 1;
        assertFalse(Stamp.check(corrupt, 77, 300));
    }

    /** The fragmentation run deletes 90%, refills to the target, and reads every survivor back intact. */
    @Test
    void fragReachesItsTargetAndKeepsEverySurvivor() {
        long target = 4L << 20;
        try (KvStore store = ChmKvStore.concurrentHashMap(new StoreSpec(target * 2, 100_000, 100, 2000))) {
            Frag.Outcome o = new Frag(SizeDistribution.parse("uniform:100-200"),
                    SizeDistribution.parse("uniform:1000-2000"), target).run(store, 5, text -> { });
            assertEquals(0, o.refused());
            assertEquals(0, o.verifyErrors());
            assertTrue(o.liveBytes() >= target && o.liveBytes() < target + 2100, "live " + o.liveBytes());
            assertTrue(o.liveObjects() < o.inserted() / 2, "90% of the small objects are gone: " + o);
        }
    }

    /** A bounded store that fills up ends the refill with a refused insert, and loses nothing it accepted. */
    @Test
    void fragStopsAtTheFirstRefusedInsert() {
        try (KvStore store = Peer.byName("nibble-append").open(new StoreSpec(16L << 20, 100_000, 1024, 4096))) {
            Frag.Outcome o = new Frag(SizeDistribution.parse("fixed:1024"), SizeDistribution.parse("fixed:4096"),
                    64L << 20).run(store, 5, text -> { });
            assertEquals(1, o.refused());
            assertEquals(0, o.verifyErrors());
            assertTrue(o.liveBytes() < 64L << 20);
        }
    }

    @Test
    void churnRunsItsMixAndCleansUp() throws Exception {
        try (KvStore store = Peer.byName("nibble-inplace").open(new StoreSpec(64L << 20, 50_000, 2300, 4096))) {
            Churn.Outcome o = new Churn(8L << 20, 40_000, 2).run(store, 9, text -> { });
            assertEquals(40_000, o.transactions());
            assertEquals(0, o.verifyErrors());
            assertEquals(0, o.refused());
            assertTrue(o.peakLiveBytes() >= 8L << 20);
            for (int space = 0; space < 2; space++) {
                for (long id = 0; id < 100; id++) {
                    assertNull(store.get(Stamp.key(space, id)), "clean-up deletes every file");
                }
            }
        }
    }
}
