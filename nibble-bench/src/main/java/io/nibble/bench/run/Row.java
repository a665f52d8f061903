package io.nibble.bench.run;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One measured result: ordered name/value pairs. Workers print rows as {@code RESULT name=value<TAB>...}; the
 * orchestrating process parses them back, so results cross the process boundary as text.
 */
public final class Row {
    private static final String PREFIX = "RESULT ";
    private final Map<String, String> values = new LinkedHashMap<>();

    public Row put(String name, Object value) {
        String text = value instanceof Double d ? String.format(Locale.ROOT, "%.4f", d) : String.valueOf(value);
        if (name.contains("=") || name.contains("\t") || text.contains("\t") || text.contains("\n")) {
            throw new IllegalArgumentException("tab, newline or '=' in " + name + "=" + text);
        }
        values.put(name, text);
        return this;
    }

    public String get(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("row has no '" + name + "': " + values);
        }
        return v;
    }

    public double number(String name) {
        return Double.parseDouble(get(name));
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public Map<String, String> values() {
        return values;
    }

    public String toLine() {
        StringBuilder b = new StringBuilder(PREFIX);
        values.forEach((k, v) -> b.append(k).append('=').append(v).append('\t'));
        b.setLength(b.length() - 1);
        return b.toString();
    }

    /** The row a worker printed, or null when the line is not a result. */
    public static Row parse(String line) {
        if (!line.startsWith(PREFIX)) {
            return null;
        }
        Row row = new Row();
        for (String field : line.substring(PREFIX.length()).split("\t")) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("malformed result field '" + field + "' in: " + line);
            }
            row.values.put(field.substring(0, eq), field.substring(eq + 1));
        }
        return row;
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
