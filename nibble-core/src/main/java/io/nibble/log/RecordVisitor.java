package io.nibble.log;

/** Receives the records of a segment in log order. */
@FunctionalInterface
public interface RecordVisitor {
    /**
     * @param address the record's address
     * @param meta its meta word (see {@link RecordLayout})
     * @param footprint bytes it occupies
     * @return false to stop the walk
     */
    boolean visit(long address, long meta, long footprint);
}
