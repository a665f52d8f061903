package io.nibble.bench.run;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one measurement in a fresh JVM, as JMH forks do: each store gets its own heap, its own JIT profile, its
 * own JVM flags, and a resident-memory count of its own. The worker prints {@link Row}s and progress lines on
 * stdout; everything else it prints is kept as the tail that explains a failure.
 */
public final class Fork {
    private static final String PROGRESS = "PROGRESS ";

    /** What a worker JVM produced. */
    public record Result(List<Row> rows, int exitCode, List<String> tail, boolean timedOut) {
        public boolean ok() {
            return exitCode == 0 && !timedOut && !rows.isEmpty();
        }

        /** The worker's last words, for the failure report. */
        public String reason() {
            if (timedOut) {
                return "timed out";
            }
            String first = null;
            String cause = null;
            for (String line : tail) {
                if (first == null && (line.contains("Exception") || line.contains("Error"))) {
                    first = line.strip();
                } else if (first != null && line.startsWith("Caused by:")) {
                    cause = line.substring("Caused by:".length()).strip();
                }
            }
            if (first != null) {
                return cause == null ? first : first + "; root cause: " + cause;
            }
            return tail.isEmpty() ? "exit code " + exitCode : "exit code " + exitCode + ": " + tail.getLast().strip();
        }
    }

    private Fork() { }

    /** Prints a progress line from a worker; the orchestrator shows it under the running fork. */
    public static void progress(String text) {
        System.out.println(PROGRESS + text);
        System.out.flush();
    }

    public static Result run(String mainClass, List<String> jvmFlags, List<String> args, long timeoutSeconds,
                             Consumer<String> progress) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<Row> rows = new ArrayList<>();
        Deque<String> tail = new ArrayDeque<>();
        Thread reader = Thread.ofPlatform().daemon().name("fork-reader").start(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    Row row = Row.parse(line);
                    if (row != null) {
                        synchronized (rows) {
                            rows.add(row);
                        }
                    } else if (line.startsWith(PROGRESS)) {
                        progress.accept(line.substring(PROGRESS.length()));
                    } else {
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > 40) {
                                tail.removeFirst();
                            }
                        }
                    }
                }
            } catch (IOException e) {
                synchronized (tail) {
                    tail.addLast("reading the worker's output failed: " + e);
                }
            }
        });
        boolean finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly().waitFor();
        }
        reader.join(5_000);
        synchronized (rows) {
            synchronized (tail) {
                return new Result(List.copyOf(rows), finished ? process.exitValue() : -1, List.copyOf(tail),
                        !finished);
            }
        }
    }
}
