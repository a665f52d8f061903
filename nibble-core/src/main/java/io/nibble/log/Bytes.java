package io.nibble.log;

import java.lang.foreign.MemorySegment;

/**
 * Keys and values reach the engine as either a {@code byte[]} or a {@link MemorySegment}; internal code passes
 * them as {@code Object} so neither form is wrapped in the other. Wrapping an array with
 * {@link MemorySegment#ofArray(byte[])} costs two objects per call, which the {@code byte[]} API would otherwise
 * pay on every operation. Call sites see one form or the other, so the type checks below fold away when compiled.
 */
public final class Bytes {
    private Bytes() { }

    /** Length in bytes of a {@code byte[]} or a {@link MemorySegment}. */
    public static long length(Object bytes) {
        return bytes instanceof byte[] array ? array.length : ((MemorySegment) bytes).byteSize();
    }

    /**
     * Throws when the bytes cannot be read by this thread (a segment of a closed arena, or one confined to
     * another thread), so that a write never fails half way.
     */
    public static void checkReadable(Object bytes, String what) {
        if (bytes instanceof MemorySegment segment) {
            if (!segment.scope().isAlive()) {
                throw new IllegalStateException("the " + what + " segment's arena is closed");
            }
            if (!segment.isAccessibleBy(Thread.currentThread())) {
                throw new WrongThreadException("the " + what + " segment is confined to another thread");
            }
        } else if (!(bytes instanceof byte[])) {
            throw new IllegalArgumentException(what + " must be a byte[] or a MemorySegment");
        }
    }
}
