package io.nibble.server;

import io.nibble.index.KeyHash;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Striped readers-writer locks over the key space, each with a version: what isolates MULTI/EXEC from other
 * clients and tells EXEC whether a WATCHed key changed.
 *
 * <p>Every keyed command holds its keys' stripes shared while it runs, and a write adds one to their versions as
 * it releases them. EXEC holds the stripes of all its keys (and of the watched keys) exclusively, so no other
 * command reads or writes those keys between the WATCH check and the last queued command.
 *
 * <p>A stripe word is {@code version:41 | readers:22 | exclusive:1}. It is acquired with a CAS and released with
 * an atomic add, both volatile, so everything a holder wrote to the store happens-before the next acquisition,
 * and a version read with {@link #version} that includes a write's increment also sees that write. The version
 * sits in the top bits and wraps harmlessly. Several stripes are always taken in ascending order, shared or
 * exclusive, so two commands never wait on each other in a cycle. Stripes are shared by unrelated keys: that can
 * make a command wait or an EXEC abort needlessly, never miss a change.
 */
final class KeyLocks {
    static final int STRIPES = 1 << 14;
    private static final long EXCLUSIVE = 1;
    private static final long READER = 2;
    private static final int VERSION_SHIFT = 23;
    private static final long VERSION_ONE = 1L << VERSION_SHIFT;
    private static final long READERS = VERSION_ONE - READER;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] words = new long[STRIPES];
    private final long seed = ThreadLocalRandom.current().nextLong();

    int stripe(byte[] key) {
        long h = KeyHash.hash(key, seed);
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

    /**
     * Sorts the first {@code count} stripes and drops repeats, the order in which several are locked.
     *
     * @return how many distinct stripes lead the array now
     */
    static int sortDistinct(int[] stripes, int count) {
        if (count < 2) {
            return count;
        }
        Arrays.sort(stripes, 0, count);
        int distinct = 1;
        for (int i = 1; i < count; i++) {
            if (stripes[i] != stripes[distinct - 1]) {
                stripes[distinct++] = stripes[i];
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
