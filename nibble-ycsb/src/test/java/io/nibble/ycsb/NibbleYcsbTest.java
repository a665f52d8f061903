package io.nibble.ycsb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import site.ycsb.ByteIterator;
import site.ycsb.DBException;
import site.ycsb.Status;
import site.ycsb.StringByteIterator;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NibbleYcsbTest {

    private static Properties small(String workload) throws Exception {
        Properties props = YcsbRunner.loadWorkload(workload);
        props.setProperty("recordcount", "2000");
        props.setProperty("operationcount", "6000");
        props.setProperty(NibbleClient.CAPACITY, "64m");
        return props;
    }

    /** The official workloads run end to end in one JVM, the loaded records surviving into the run phase. */
    @ParameterizedTest
    @ValueSource(strings = {"a", "b", "c", "d", "f"})
    void officialWorkloadsRun(String name) throws Exception {
        Map<String, String> report = YcsbRunner.run(small(name), NibbleClient.class.getName(), 2);
        long reads = Long.parseLong(report.get("[READ], Operations"));
        assertEquals(reads, Long.parseLong(report.get("[READ], Return=OK")), "every read finds its record: " + report);
        long ops = 0;
        for (String op : new String[] {"[READ]", "[UPDATE]", "[INSERT]"}) {
            ops += Long.parseLong(report.getOrDefault(op + ", Operations", "0"));
            assertEquals(report.get(op + ", Operations"), report.get(op + ", Return=OK"), op + " " + report);
        }
        // F's read-modify-writes each count one READ and one UPDATE, so its READs alone add up to the operations.
        assertEquals(6000, name.equals("f") ? reads : ops, report.toString());
        if (name.equals("f")) {
            assertTrue(Long.parseLong(report.get("[READ-MODIFY-WRITE], Operations")) > 2000, report.toString());
        }
        assertTrue(report.keySet().stream().noneMatch(k -> k.contains("Return=ERROR")), report.toString());
    }

    @Test
    void appendModeRunsToo() throws Exception {
        Properties props = small("a");
        props.setProperty(NibbleClient.UPDATE_MODE, "append");
        Map<String, String> report = YcsbRunner.run(props, NibbleClient.class.getName(), 2);
        assertEquals(report.get("[UPDATE], Operations"), report.get("[UPDATE], Return=OK"));
    }

    @Test
    void workloadEIsReportedAsNotSupported() throws Exception {
        Map<String, String> report = YcsbRunner.run(small("e"), NibbleClient.class.getName(), 2);
        assertEquals(YcsbRunner.NOT_SUPPORTED, report.get("[OVERALL], Result"));
    }

    /** Concurrent updates of different fields of one record merge; none is lost. */
    @Test
    void concurrentFieldUpdatesMerge() throws Exception {
        Properties props = new Properties();
        props.setProperty(NibbleClient.CAPACITY, "64m");
        NibbleClient[] clients = new NibbleClient[4];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = new NibbleClient();
            clients[i].setProperties(props);
            clients[i].init();
        }
        try {
            assertEquals(Status.OK, clients[0].insert("t", "k", Map.of("seed", new StringByteIterator("x"))));
            CountDownLatch start = new CountDownLatch(1);
            Thread[] threads = new Thread[clients.length];
            for (int i = 0; i < clients.length; i++) {
                NibbleClient c = clients[i];
                String field = "field" + i;
                threads[i] = Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        for (int n = 0; n < 2000; n++) {
                            Map<String, ByteIterator> v = new HashMap<>();
                            v.put(field, new StringByteIterator(field + "=" + n));
                            assertEquals(Status.OK, c.update("t", "k", v));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            Map<String, ByteIterator> record = new HashMap<>();
            assertEquals(Status.OK, clients[0].read("t", "k", null, record));
            assertEquals(5, record.size(), record.keySet().toString());
            for (int i = 0; i < clients.length; i++) {
                assertEquals("field" + i + "=1999", record.get("field" + i).toString());
            }
            Map<String, ByteIterator> some = new HashMap<>();
            assertEquals(Status.OK, clients[1].read("t", "k", Set.of("field2"), some));
            assertEquals(Set.of("field2"), some.keySet());
            assertEquals(Status.NOT_FOUND, clients[1].read("t", "absent", null, new HashMap<>()));
            assertEquals(Status.NOT_FOUND, clients[1].update("t", "absent", Map.of()));
            assertEquals(Status.OK, clients[2].delete("t", "k"));
            assertEquals(Status.NOT_FOUND, clients[2].delete("t", "k"));
        } finally {
            for (NibbleClient c : clients) {
                c.cleanup();
            }
        }
    }

    @Test
    void badPropertiesAndForeignValuesFailClearly() {
        assertEquals(2L << 30, NibbleClient.parseBytes("2g"));
        assertEquals(4096, NibbleClient.parseBytes("4k"));
        assertThrows(IllegalArgumentException.class, () -> NibbleClient.parseBytes("lots"));
        assertThrows(IllegalArgumentException.class, () -> NibbleClient.parseMode("sideways"));
        NibbleClient client = new NibbleClient();
        Properties props = new Properties();
        props.setProperty(NibbleClient.CAPACITY, "1x");
        client.setProperties(props);
        assertThrows(DBException.class, client::init);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> RecordCodec.decode(new byte[] {0, 0, 0, 1, 0, 9, 'a'}, null));
        assertTrue(e.getMessage().contains("not a YCSB record"), e.getMessage());
    }
}
