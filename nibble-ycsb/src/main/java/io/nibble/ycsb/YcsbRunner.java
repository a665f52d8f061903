package io.nibble.ycsb;

import org.apache.htrace.core.HTraceConfiguration;
import org.apache.htrace.core.Tracer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import site.ycsb.ClientThread;
import site.ycsb.DB;
import site.ycsb.DBFactory;
import site.ycsb.Workload;
import site.ycsb.measurements.Measurements;
import site.ycsb.measurements.exporter.TextMeasurementsExporter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * Loads and runs a YCSB workload in one JVM, so the embedded engine holds the loaded data into the run phase.
 * YCSB's own {@code site.ycsb.Client} runs one phase per JVM and exits; this runner drives the same public pieces
 * (CoreWorkload, DBFactory, ClientThread, Measurements) for both phases and prints YCSB's text report for each.
 */
@Command(name = "nibble ycsb", mixinStandardHelpOptions = true,
        description = "Runs the official YCSB core workloads (a-f, or a workload file) against the embedded engine.")
public final class YcsbRunner implements Callable<Integer> {
    static final String NOT_SUPPORTED = "not supported";

    @Parameters(index = "0", description = "a, b, c, d, e, f (YCSB 0.17.0's workloads) or a workload file.")
    String workload;

    @Option(names = "-p", description = "A YCSB or binding property, name=value (repeatable), e.g. "
            + "recordcount=100000, nibble.capacity=2g, nibble.updatemode=append.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "-threads", description = "Client threads (default: ${DEFAULT-VALUE}).")
    int threads = 2;

    @Option(names = "-db", description = "The binding class (default: ${DEFAULT-VALUE}).")
    String db = NibbleClient.class.getName();

    public static void main(String[] args) {
        System.exit(new CommandLine(new YcsbRunner()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Properties props = loadWorkload(workload);
        properties.forEach(props::setProperty);
        props.setProperty("threadcount", String.valueOf(threads));
        Map<String, String> result = run(props, db, threads);
        return result.containsKey("[OVERALL], Result") ? 2 : 0;
    }

    /** A bundled workload by letter, else a file. */
    static Properties loadWorkload(String name) throws IOException {
        Properties props = new Properties();
        if (name.length() == 1) {
            String resource = "/workloads/workload" + name.toLowerCase(Locale.ROOT);
            try (InputStream in = YcsbRunner.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new CommandLine.ParameterException(new CommandLine(new YcsbRunner()),
                            "no bundled workload '" + name + "'; bundled: a, b, c, d, e, f");
                }
                props.load(in);
            }
        } else {
            try (Reader in = Files.newBufferedReader(Path.of(name))) {
                props.load(in);
            }
        }
        return props;
    }

    /**
     * Loads, then runs, printing YCSB's report of each phase.
     *
     * @return the run phase's report lines as "[SECTION], metric" to value; a workload with scans returns only
     *     "[OVERALL], Result" = "not supported"
     */
    static Map<String, String> run(Properties props, String dbClass, int threads) throws Exception {
        double scans = Double.parseDouble(props.getProperty("scanproportion", "0"));
        if (scans > 0) {
            String why = "workload with scanproportion=" + scans + ": " + NOT_SUPPORTED + "; Nibble's index is a hash "
                    + "index with no key order, so ordered scans from a start key (YCSB E) are not implemented";
            System.out.println("[OVERALL], Result, " + why);
            return Map.of("[OVERALL], Result", NOT_SUPPORTED);
        }
        // The engine stays open between the phases; NibbleClient closes it when its last user leaves.
        boolean embedded = dbClass.equals(NibbleClient.class.getName());
        if (embedded) {
            NibbleClient.acquire(props);
        }
        try {
            phase(props, dbClass, threads, false);
            return phase(props, dbClass, threads, true);
        } finally {
            if (embedded) {
                NibbleClient.release();
            }
        }
    }

    private static Map<String, String> phase(Properties base, String dbClass, int threads, boolean transactions)
            throws Exception {
        Properties props = new Properties();
        props.putAll(base);
        props.setProperty("dotransactions", String.valueOf(transactions));
        resetMeasurements(props);
        Workload workload = (Workload) Class.forName(props.getProperty("workload", "site.ycsb.workloads.CoreWorkload"))
                .getDeclaredConstructor().newInstance();
        workload.init(props);
        long operations = Long.parseLong(props.getProperty(transactions ? "operationcount" : "recordcount", "1000"));
        if (!transactions && props.containsKey("insertcount")) {
            operations = Long.parseLong(props.getProperty("insertcount"));
        }
        Tracer tracer = new Tracer.Builder("YCSB").conf(HTraceConfiguration.EMPTY).build();
        CountDownLatch done = new CountDownLatch(threads);
        List<ClientThread> clients = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            DB db = DBFactory.newDB(dbClass, props, tracer);
            int share = (int) (operations / threads + (t < operations % threads ? 1 : 0));
            ClientThread client = new ClientThread(db, transactions, workload, props, share, -1, done);
            client.setThreadId(t);
            client.setThreadCount(threads);
            clients.add(client);
        }
        long start = System.nanoTime();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            running.add(Thread.ofPlatform().name("ycsb-client-" + t).start(clients.get(t)));
        }
        for (Thread t : running) {
            t.join();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        long ops = clients.stream().mapToLong(ClientThread::getOpsDone).sum();
        workload.cleanup();
        tracer.close();
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        TextMeasurementsExporter exporter = new TextMeasurementsExporter(text);
        exporter.write("OVERALL", "Phase", transactions ? 1 : 0);
        exporter.write("OVERALL", "RunTime(ms)", millis);
        exporter.write("OVERALL", "Throughput(ops/sec)", ops * 1000.0 / Math.max(1, millis));
        Measurements.getMeasurements().exportMeasurements(exporter);
        exporter.close();
        String report = text.toString(StandardCharsets.UTF_8);
        System.out.println("# YCSB " + (transactions ? "run" : "load") + " phase, " + threads + " threads");
        System.out.print(report);
        Map<String, String> lines = new LinkedHashMap<>();
        report.lines().forEach(line -> {
            int second = line.indexOf(", ", line.indexOf(", ") + 2);
            if (line.startsWith("[") && second > 0) {
                lines.put(line.substring(0, second), line.substring(second + 2).trim());
            }
        });
        return lines;
    }

    /** Measurements is a static singleton in YCSB; each phase starts it afresh, as a new Client JVM would. */
    private static void resetMeasurements(Properties props) throws ReflectiveOperationException {
        Field singleton = Measurements.class.getDeclaredField("singleton");
        singleton.setAccessible(true);
        singleton.set(null, null);
        Measurements.setProperties(props);
    }
}
