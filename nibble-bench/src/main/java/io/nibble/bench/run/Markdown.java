package io.nibble.bench.run;

import java.util.ArrayList;
import java.util.List;

/** A markdown table built row by row. */
public final class Markdown {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public Markdown(List<String> header) {
        this.header = List.copyOf(header);
    }

    public Markdown row(List<String> cells) {
        if (cells.size() != header.size()) {
            throw new IllegalArgumentException(cells.size() + " cells for " + header.size() + " columns");
        }
        rows.add(List.copyOf(cells));
        return this;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("| ").append(String.join(" | ", header)).append(" |\n|");
        b.append("---|".repeat(header.size())).append('\n');
        for (List<String> r : rows) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return b.toString();
    }
}
