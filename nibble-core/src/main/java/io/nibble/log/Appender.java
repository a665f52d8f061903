package io.nibble.log;

/**
 * Where the next record of one open segment goes. Owned by exactly one writer at a time: a log head's try-lock
 * holder, or a compaction thread.
 */
public class Appender {
    /** Open segment id, or -1 when the appender holds none. */
    int segment = -1;
    /** Block holding the write position. */
    int block = -1;
    /** Write position inside {@link #block}; may equal the block size. */
    int offset;
    /** Blocks linked into the segment so far, and the most it may take. */
    int blocks;
    int maxBlocks;
    /**
     * Where the appender stood when an idle check last looked (segment, block, offset), and since when (epoch ms)
     * it has stood there; see {@link NodeLog#sealIfIdleAndExpired}. Touched only by the appender's holder.
     */
    int idleSegment = -1;
    int idleBlock;
    int idleOffset;
    long idleSinceMillis;

    public int segment() {
        return segment;
    }

    void reset() {
        segment = -1;
        block = -1;
        offset = 0;
        blocks = 0;
        maxBlocks = 0;
        idleSegment = -1;
    }
}
