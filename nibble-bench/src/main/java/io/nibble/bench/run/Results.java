package io.nibble.bench.run;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/** The rows of a whole benchmark run, with the stores that could not run and why. */
public final class Results {
    /** A store that failed in a worker, with the worker's own explanation. */
    public record Failure(String store, String part, int trial, String reason) { }

    private final List<Row> rows = new ArrayList<>();
    private final List<Failure> failures = new ArrayList<>();

    public void add(List<Row> more) {
        rows.addAll(more);
    }

    public void fail(Failure failure) {
        failures.add(failure);
    }

    public List<Row> rows() {
        return rows;
    }

    public List<Failure> failures() {
        return failures;
    }

    public boolean failed(String store) {
        return failures.stream().anyMatch(f -> f.store().equals(store));
    }

    /** Values of {@code column} over the rows matching every name=value in {@code where}. */
    public Stats stats(String column, Map<String, String> where) {
        return Stats.of(select(where).stream().map(r -> r.number(column)).toList());
    }

    public List<Row> select(Map<String, String> where) {
        Predicate<Row> match = r -> where.entrySet().stream()
                .allMatch(e -> r.has(e.getKey()) && r.get(e.getKey()).equals(e.getValue()));
        return rows.stream().filter(match).toList();
    }

    /** Distinct values of a column, in first-seen order. */
    public List<String> distinct(String column) {
        Set<String> seen = new LinkedHashSet<>();
        for (Row r : rows) {
            if (r.has(column)) {
                seen.add(r.get(column));
            }
        }
        return List.copyOf(seen);
    }

    /** Every row as CSV, with the union of columns as header. */
    public String csv() {
        Set<String> columns = new LinkedHashSet<>();
        rows.forEach(r -> columns.addAll(r.values().keySet()));
        StringBuilder b = new StringBuilder(String.join(",", columns)).append('\n');
        for (Row r : rows) {
            List<String> cells = new ArrayList<>();
            for (String c : columns) {
                String v = r.values().getOrDefault(c, "");
                cells.add(v.contains(",") || v.contains("\"") ? '"' + v.replace("\"", "\"\"") + '"' : v);
            }
            b.append(String.join(",", cells)).append('\n');
        }
        return b.toString();
    }
}
