package io.nibble.bench;

import io.nibble.bench.store.KvStore;
import io.nibble.bench.store.Peer;
import io.nibble.bench.store.StoreSpec;
import io.nibble.bench.workload.KeyChooser;
import io.nibble.bench.workload.Stamp;
import io.nibble.bench.workload.Ycsb;
import io.nibble.server.NibbleServer;
import io.nibble.server.ServerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every peer adapter honours the KvStore contract; the surefire JVM carries the peers' flags. */
class StoreAdapterTest {

    static List<String> peers() {
        List<String> names = new ArrayList<>(Peer.NAMES);
        names.addAll(List.of("nibble-append+one-head", "nibble-append+random-head", "nibble-inplace+shared-epoch"));
        return names;
    }

    @ParameterizedTest
    @MethodSource("peers")
    void putGetDeleteAndAWorkload(String name) throws Exception {
        try (KvStore store = Peer.byName(name).open(new StoreSpec(64L << 20, 5_000, 100, 4096))) {
            assertEquals(name, store.name());
            byte[][] keys = Ycsb.load(store, 500, 100, 5);
            assertEquals(100, store.get(keys[7]).length);
            assertNull(store.get(Ycsb.key(10_000)));
            assertTrue(store.put(keys[1], Stamp.value(1, 4000)), "a larger value replaces the old one");
            assertTrue(Stamp.check(store.get(keys[1]), 1, 4000));
            assertTrue(store.delete(keys[2]));
            assertFalse(store.delete(keys[2]));
            assertNull(store.get(keys[2]));
            store.put(keys[2], new byte[] {1, 2, 3});
            assertArrayEquals(new byte[] {1, 2, 3}, store.get(keys[2]));
            Ycsb.Result r = Ycsb.run(store, keys, Ycsb.Mix.A, KeyChooser.zipfian(500, 0.99), "zipfian", 100, 2, 0.2,
                    9);
            assertTrue(r.operations() > 0 && r.misses() == 0 && r.refused() == 0, r.toString());
        }
    }

    /** Bounded stores say no when full rather than dropping or evicting what they hold. */
    @ParameterizedTest
    @MethodSource("boundedPeers")
    void aFullStoreRefusesAndKeepsWhatItHas(String name) {
        try (KvStore store = Peer.byName(name).open(new StoreSpec(16L << 20, 2_000, 4096, 4096))) {
            int stored = 0;
            while (stored < 100_000 && store.put(Stamp.key(1, stored), Stamp.value(stored, 4096))) {
                stored++;
            }
            assertTrue(stored > 1000 && stored < 100_000, name + " took " + stored + " values of 4 KiB");
            for (int id = 0; id < stored; id++) {
                assertTrue(Stamp.check(store.get(Stamp.key(1, id)), id, 4096), name + " lost " + id);
            }
        }
    }

    static List<String> boundedPeers() {
        return List.of("nibble-inplace", "nibble-append", "ohc", "chronicle");
    }

    @Test
    void theRespDriverTalksToTheServer() throws Exception {
        ServerConfig config = new ServerConfig();
        new CommandLine(config).parseArgs("--port", "0", "--capacity", "64m", "--threads", "1");
        try (NibbleServer server = NibbleServer.start(config);
             KvStore store = Peer.byName("resp:127.0.0.1:" + server.port()).open(new StoreSpec(0, 0, 0, 0))) {
            byte[][] keys = Ycsb.load(store, 500, 100, 5);
            assertEquals(100, store.get(keys[7]).length);
            assertTrue(store.delete(keys[7]));
            assertFalse(store.delete(keys[7]));
            assertNull(store.get(keys[7]));
            Ycsb.Result r = Ycsb.run(store, keys, Ycsb.Mix.B, KeyChooser.uniform(500), "uniform", 100, 2, 0.2, 9);
            assertTrue(r.operations() > 0 && r.misses() > 0, "the deleted key misses: " + r);
        }
    }

    @Test
    void unknownNamesAreRejectedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Peer.byName("redisson"));
        assertTrue(e.getMessage().contains("chronicle"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Peer.byName("nibble-append+two-heads")
                .open(new StoreSpec(64L << 20, 10, 10, 10)));
    }
}
