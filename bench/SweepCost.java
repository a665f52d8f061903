import io.nibble.Nibble;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What active expiry costs an idle store: loads 1 KiB values whose expiries are spread uniformly from 1 s to 2 h
 * (or, with "none", no expiry), waits 5 s, then reports the process's CPU time over 10 s as a share of one core.
 *
 * <pre>
 * ./nibble build && java --enable-native-access=ALL-UNNAMED -cp nibble-core/target/classes bench/SweepCost.java 2000000
 * java --enable-native-access=ALL-UNNAMED -cp nibble-core/target/classes bench/SweepCost.java 2000000 none
 * </pre>
 */
public class SweepCost {
    public static void main(String[] args) throws Exception {
        int keys = Integer.parseInt(args[0]);
        boolean expiring = args.length < 2 || !args[1].equals("none");
        try (Nibble store = Nibble.builder().capacity(3L << 30).build()) {
            byte[] value = new byte[1000];
            long now = System.currentTimeMillis();
            for (int i = 0; i < keys; i++) {
                long expireAt = expiring ? now + ThreadLocalRandom.current().nextLong(1_000, 7_200_000) : 0;
                store.put(("key-" + i).getBytes(StandardCharsets.US_ASCII), value, expireAt);
            }
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            Thread.sleep(5_000); // past the first sweep of every segment, which walks it once
            long cpuBefore = os.getProcessCpuTime();
            long wallBefore = System.nanoTime();
            Thread.sleep(10_000);
            double share = (double) (os.getProcessCpuTime() - cpuBefore) / (System.nanoTime() - wallBefore);
            System.out.printf("%d keys%s: %d expired keys removed, idle CPU %.1f%% of one core%n", keys,
                    expiring ? " expiring over 2 h" : " without expiry", store.stats().expiredKeys(), 100 * share);
        }
    }
}
