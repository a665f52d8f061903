package io.nibble.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One reserved range of address space, touched lazily and released block by block.
 *
 * <p>Everything stored in a region refers to other places in it by byte offset, never by address, so the same
 * bytes mean the same thing wherever the region is mapped. Closing the region's shared arena unmaps it; the JVM's
 * handshake on close makes a racing access fail with {@link IllegalStateException} instead of touching unmapped
 * memory.
 */
public final class Region implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment memory;

    private Region(Arena arena, MemorySegment memory) {
        this.arena = arena;
        this.memory = memory;
    }

    /** Reserves {@code bytes} of anonymous memory, backed by the OS on first touch. */
    public static Region anonymous(long bytes) {
        Arena arena = Arena.ofShared();
        try {
            return new Region(arena, NativeMemory.reserve(bytes, arena));
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    public MemorySegment memory() {
        return memory;
    }

    public long byteSize() {
        return memory.byteSize();
    }

    /** Returns the pages of the range to the OS (see {@link NativeMemory#release}). */
    public boolean release(long offset, long length) {
        return NativeMemory.release(memory, offset, length);
    }

    /** Resident bytes of this region as the OS reports them, or -1 when it cannot tell. */
    public long residentBytes() {
        return NativeMemory.residentBytes(memory);
    }

    @Override
    public void close() {
        arena.close();
    }
}
