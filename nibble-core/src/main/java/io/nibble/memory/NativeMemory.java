package io.nibble.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The few operating-system calls the engine makes, through {@code java.lang.foreign} downcalls into libc.
 *
 * <p>Every call is optional. When a symbol is missing (not Linux, or native access denied) the engine falls back:
 * address space comes from {@link Arena#allocate} (zeroed up front), released blocks stay resident, the CPU number
 * comes from the thread id, and resident memory is computed from the allocator's counters. The fallback is
 * announced once through {@link System.Logger} with the flag that enables the native path.
 */
public final class NativeMemory {
    private static final System.Logger LOG = System.getLogger("io.nibble.memory");

    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final int MADV_DONTNEED = 4;
    static final int MADV_NOHUGEPAGE = 15;
    static final int MADV_DONTDUMP = 16;
    static final long MAP_FAILED = -1L;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MINCORE;
    private static final MethodHandle SCHED_GETCPU;
    private static final MethodHandle GETPAGESIZE;
    private static final MethodHandle SYSCALL6;
    private static final boolean NATIVE;
    private static final long PAGE_SIZE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null, mincore = null, getcpu = null, pagesize = null,
                syscall = null;
        boolean ok = false;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            mmap = find(linker, libc, "mmap", FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG));
            munmap = find(linker, libc, "munmap",
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            madvise = find(linker, libc, "madvise", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            mincore = find(linker, libc, "mincore", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            pagesize = find(linker, libc, "getpagesize", FunctionDescriptor.of(ValueLayout.JAVA_INT));
            // sched_getcpu reads the vDSO/rseq area and never blocks: a critical downcall skips the thread-state
            // transition, which is what makes a per-operation call affordable (a few ns).
            getcpu = libc.find("sched_getcpu").map(s -> linker.downcallHandle(s,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT), Linker.Option.critical(false))).orElse(null);
            syscall = libc.find("syscall").map(s -> linker.downcallHandle(s, FunctionDescriptor.of(
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                    Linker.Option.firstVariadicArg(1))).orElse(null);
            ok = mmap != null && munmap != null && madvise != null && System.getProperty("os.name", "")
                    .toLowerCase().contains("linux");
        } catch (Throwable t) { // IllegalCallerException when native access is denied, UnsupportedOperation...
            LOG.log(System.Logger.Level.WARNING, "native memory calls unavailable (" + t + "); run with "
                    + "--enable-native-access=ALL-UNNAMED. Falling back to zeroed Java allocations.");
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
        MINCORE = mincore;
        SCHED_GETCPU = getcpu;
        GETPAGESIZE = pagesize;
        SYSCALL6 = syscall;
        NATIVE = ok;
        long page = 4096;
        if (pagesize != null) {
            try {
                page = (int) pagesize.invokeExact();
            } catch (Throwable ignored) {
                page = 4096;
            }
        }
        PAGE_SIZE = page;
        if (!ok) {
            LOG.log(System.Logger.Level.WARNING, "mmap/madvise unavailable: memory is reserved with "
                    + "Arena.allocate (zeroed up front) and released blocks stay resident");
        }
    }

    private NativeMemory() { }

    private static MethodHandle find(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor fd) {
        Optional<MemorySegment> symbol = lookup.find(name);
        return symbol.map(s -> linker.downcallHandle(s, fd)).orElse(null);
    }

    /** True when address space is reserved with mmap and released with madvise. */
    public static boolean isNative() {
        return NATIVE;
    }

    /** The OS page size in bytes. */
    public static long pageSize() {
        return PAGE_SIZE;
    }

    /**
     * Reserves {@code bytes} of address space that the OS backs lazily on first touch, owned by {@code arena}:
     * closing the arena unmaps it. Nothing is zeroed or committed up front ({@code MAP_NORESERVE}).
     */
    public static MemorySegment reserve(long bytes, Arena arena) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("reserve size must be positive: " + bytes);
        }
        if (!NATIVE) {
            return arena.allocate(bytes, PAGE_SIZE);
        }
        long address;
        try {
            address = (long) MMAP.invokeExact(0L, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (address == MAP_FAILED || address == 0) {
            throw new OutOfMemoryError("mmap of " + bytes + " bytes of address space failed");
        }
        final long length = bytes;
        MemorySegment segment = MemorySegment.ofAddress(address).reinterpret(bytes, arena, s -> unmap(s.address(),
                length));
        advise(address, bytes, MADV_NOHUGEPAGE); // release works at block granularity, below a huge page
        advise(address, bytes, MADV_DONTDUMP);
        return segment;
    }

    private static void unmap(long address, long length) {
        try {
            int rc = (int) MUNMAP.invokeExact(address, length);
            if (rc != 0) {
                LOG.log(System.Logger.Level.WARNING, "munmap failed for " + length + " bytes");
            }
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.WARNING, "munmap failed", t);
        }
    }

    private static boolean advise(long address, long length, int advice) {
        try {
            return (int) MADVISE.invokeExact(address, length, advice) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Gives the pages of {@code [offset, offset+length)} back to the OS. The range stays mapped: a later read sees
     * zeros and a later write faults a fresh page in. Both bounds must be page aligned.
     *
     * @return true when the memory was released
     */
    public static boolean release(MemorySegment segment, long offset, long length) {
        if (!NATIVE) {
            return false;
        }
        MemorySegment slice = segment.asSlice(offset, length); // bounds check before the native call
        return advise(slice.address(), length, MADV_DONTNEED);
    }

    /**
     * Bytes of {@code segment} that are resident in physical memory, read from the OS with {@code mincore}.
     *
     * @return the resident byte count, or -1 when the OS cannot tell
     */
    public static long residentBytes(MemorySegment segment) {
        if (!NATIVE || MINCORE == null) {
            return -1;
        }
        long start = segment.address() & -PAGE_SIZE;
        long end = segment.address() + segment.byteSize();
        long pages = (end - start + PAGE_SIZE - 1) / PAGE_SIZE;
        long resident = 0;
        final long window = 1L << 20; // pages per call: bounds the scratch vector to 1 MiB
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment vec = scratch.allocate(Math.min(pages, window));
            for (long p = 0; p < pages; p += window) {
                long n = Math.min(window, pages - p);
                int rc = (int) MINCORE.invokeExact(start + p * PAGE_SIZE, n * PAGE_SIZE, vec.address());
                if (rc != 0) {
                    return -1;
                }
                for (long i = 0; i < n; i++) {
                    resident += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
                }
            }
        } catch (Throwable t) {
            return -1;
        }
        return resident * PAGE_SIZE;
    }

    /** The CPU the calling thread runs on, or -1 when the OS cannot tell. */
    public static int currentCpu() {
        if (SCHED_GETCPU == null) {
            return -1;
        }
        try {
            return (int) SCHED_GETCPU.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    /** True when {@link #currentCpu()} asks the OS. */
    public static boolean hasCurrentCpu() {
        return SCHED_GETCPU != null && currentCpu() >= 0;
    }

    /**
     * Binds {@code [offset, offset+length)} of {@code segment} to NUMA {@code node} with the raw {@code mbind}
     * system call (glibc does not export it).
     *
     * @return true when the kernel accepted the policy
     */
    public static boolean bindToNode(MemorySegment segment, long offset, long length, int node) {
        long number = switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> 237L;
            case "aarch64" -> 235L;
            default -> -1L;
        };
        if (!NATIVE || SYSCALL6 == null || number < 0 || node < 0 || node >= 64) {
            return false;
        }
        final long mpolBind = 2;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment mask = scratch.allocate(ValueLayout.JAVA_LONG);
            mask.set(ValueLayout.JAVA_LONG, 0, 1L << node);
            MemorySegment slice = segment.asSlice(offset, length);
            long rc = (long) SYSCALL6.invokeExact(number, slice.address(), length, mpolBind, mask.address(), 65L,
                    0L);
            return rc == 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
