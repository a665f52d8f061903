package io.nibble.server;

import io.nibble.index.KeyHash;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Striped readers-writer locks over the key space, each with a version: what isolates MULTI/EXEC from other
 * clients and tells EXEC whether a WATCHed key changed.
 *
 * <p>While guarded (some client WATCHes keys, or an EXEC or FLUSHALL runs), every keyed command holds its keys'
 * stripes shared while it runs, and a write adds one to their versions as it releases them. EXEC holds the stripes
 * of all its keys (and of the watched keys) exclusively, so no other command reads or writes those keys between
 * the WATCH check and the last queued command.
 *
 * <p>Unguarded, which is the common case, keyed commands skip the stripes: each I/O thread marks itself inside a
 * command ({@link #enterUnguarded}), and {@link #guard} waits until every command that started unguarded has
 * finished. This is a Dekker handshake: the thread stores its odd sequence, fences, then reads the guard count; the
 * guard increments the count (a volatile read-modify-write), then reads each sequence. At least one side sees the
 * other, so a command either sees the guard and takes its stripes or is waited for.
 *
 * <p>A stripe word is {@code version:41 | readers:22 | exclusive:1}. It is acquired with a CAS and released with
 * an atomic add, both volatile, so everything a holder wrote to the store happens-before the next acquisition,
 * and a version read with {@link #version} that includes a write's increment also sees that write. The version
 * sits in the top bits and wraps harmlessly. Several stripes are always taken in ascending order, shared or
 * exclusive, so two commands never wait on each other in a cycle. Stripes are shared by unrelated keys: that can
 * make a command wait or an EXEC abort needlessly, never miss a change. The stripe hash has a fixed seed, so
 * which keys share a stripe is the same in every run: such an abort repeats instead of turning up once in thousands
 * of runs. A client able to pick keys that share a watched key's stripe could as well write the watched key.
 */
final class KeyLocks {
    static final int STRIPES = 1 << 14;
    private static final long EXCLUSIVE = 1;
    private static final long READER = 2;
    private static final int VERSION_SHIFT = 23;
    private static final long VERSION_ONE = 1L << VERSION_SHIFT;
    private static final long READERS = VERSION_ONE - READER;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private static final long SEED = 0x9E3779B97F4A7C15L;

    private final long[] words = new long[STRIPES];
    /** Sessions watching keys plus EXECs and FLUSHALLs running; while zero, keyed commands skip the stripes. */
    private final AtomicInteger guards = new AtomicInteger();
    private final List<Slot> slots = new CopyOnWriteArrayList<>();
    private final FastThreadLocal<Slot> ownSlot = new FastThreadLocal<>() {
        @Override
        protected Slot initialValue() {
            Slot slot = new Slot();
            slots.add(slot);
            return slot;
        }
    };

    /** One I/O thread's sequence: odd while it runs a command without stripes. Written by that thread only. */
    static final class Slot {
        private static final VarHandle SEQUENCE;

        static {
            try {
                SEQUENCE = MethodHandles.lookup().findVarHandle(Slot.class, "sequence", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused")
        private long p1, p2, p3, p4, p5, p6, p7; // keep other threads' writes off this line
        private long sequence;
        @SuppressWarnings("unused")
        private long q1, q2, q3, q4, q5, q6, q7;
    }

    /**
     * Starts a keyed command on this thread without stripes, when nothing is guarded.
     *
     * @return the slot to pass to {@link #leaveUnguarded}, or null: take the stripes instead
     */
    Slot enterUnguarded() {
        Slot slot = ownSlot.get();
        long sequence = slot.sequence;
        Slot.SEQUENCE.setOpaque(slot, sequence + 1);
        VarHandle.fullFence(); // the odd sequence is visible before the guard count is read
        if (guards.get() == 0) {
            return slot;
        }
        Slot.SEQUENCE.setRelease(slot, sequence + 2);
        return null;
    }

    void leaveUnguarded(Slot slot) {
        Slot.SEQUENCE.setRelease(slot, slot.sequence + 1);
    }

    /**
     * From now until {@link #unguard}, keyed commands take their stripes; returns once the commands that started
     * without them have finished. Call outside any command that {@link #enterUnguarded} let in.
     */
    void guard() {
        guards.incrementAndGet();
        for (Slot slot : slots) {
            long sequence = (long) Slot.SEQUENCE.getVolatile(slot);
            for (int spins = 0; (sequence & 1) != 0 && (long) Slot.SEQUENCE.getVolatile(slot) == sequence; spins++) {
                backoff(spins);
            }
        }
    }

    void unguard() {
        guards.decrementAndGet();
    }

    int stripe(byte[] key) {
        long h = KeyHash.hash(key, SEED);
        return (int) (h ^ (h >>> 32)) & (STRIPES - 1);
    }

    /** The stripe's version: changes whenever a write to one of its keys completes. */
    long version(int stripe) {
        return (long) WORDS.getVolatile(words, stripe) >>> VERSION_SHIFT;
    }

    void lockShared(int stripe) {
        for (int spins = 0; ; spins++) {
            long w = (long) WORDS.getVolatile(words, stripe);
            if ((w & EXCLUSIVE) == 0 && WORDS.compareAndSet(words, stripe, w, w + READER)) {
                return;
            }
            backoff(spins);
        }
    }

    /** @param wrote whether the holder changed one of the stripe's keys: then its version moves on */
    void unlockShared(int stripe, boolean wrote) {
        WORDS.getAndAdd(words, stripe, wrote ? VERSION_ONE - READER : -READER);
    }

    /** Claims the stripe, then waits for its shared holders to leave; new shared holders wait for the claim. */
    void lockExclusive(int stripe) {
        for (int spins = 0; ; spins++) {
            long w = (long) WORDS.getVolatile(words, stripe);
            if ((w & EXCLUSIVE) == 0 && WORDS.compareAndSet(words, stripe, w, w | EXCLUSIVE)) {
                break;
            }
            backoff(spins);
        }
        for (int spins = 0; ((long) WORDS.getVolatile(words, stripe) & READERS) != 0; spins++) {
            backoff(spins);
        }
    }

    void unlockExclusive(int stripe, boolean wrote) {
        WORDS.getAndAdd(words, stripe, wrote ? VERSION_ONE - EXCLUSIVE : -EXCLUSIVE);
    }

    /** Locks every stripe exclusively, in stripe order: FLUSHALL, or an EXEC that runs one. */
    void lockAll() {
        for (int i = 0; i < STRIPES; i++) {
            lockExclusive(i);
        }
    }

    /** Releases every stripe; the versions of those in {@code wrote} (may be null: none) move on. */
    void unlockAll(java.util.BitSet wrote) {
        for (int i = 0; i < STRIPES; i++) {
            unlockExclusive(i, wrote != null && wrote.get(i));
        }
    }

    /** A stripe to lock, marked with whether its holder writes: {@code stripe << 1 | write}. */
    static int mark(int stripe, boolean writes) {
        return stripe << 1 | (writes ? 1 : 0);
    }

    static int stripeOf(int marked) {
        return marked >>> 1;
    }

    static boolean writes(int marked) {
        return (marked & 1) != 0;
    }

    /**
     * Sorts the first {@code count} marked stripes into the order in which several are locked and merges repeats of
     * a stripe, keeping the write mark if any of them had it.
     *
     * @return how many distinct stripes lead the array now
     */
    static int sortDistinct(int[] marked, int count) {
        if (count < 2) {
            return count;
        }
        Arrays.sort(marked, 0, count);
        int distinct = 1;
        for (int i = 1; i < count; i++) {
            if (stripeOf(marked[i]) == stripeOf(marked[distinct - 1])) {
                marked[distinct - 1] |= marked[i] & 1;
            } else {
                marked[distinct++] = marked[i];
            }
        }
        return distinct;
    }

    private static void backoff(int spins) {
        if (spins < 64) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
