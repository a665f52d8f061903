package io.nibble.log;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One of a node's log heads: an appender guarded by a try-lock. Writers never spin on a busy head; they try the
 * next one. The lock word is padded away from its neighbours so heads taken by different CPUs do not share lines.
 */
@SuppressWarnings("unused")
public final class LogHead extends Appender {
    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(LogHead.class, "lock", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    long p00, p01, p02, p03, p04, p05, p06, p07;
    private volatile int lock;
    final int index;
    /** Segment sizes are staggered per head so heads do not all roll over at once. */
    final int stagger;
    long p10, p11, p12, p13, p14, p15, p16, p17;

    LogHead(int index, int stagger) {
        this.index = index;
        this.stagger = stagger;
    }

    /** Acquire on success: the holder sees the previous holder's appender state. */
    boolean tryLock() {
        return lock == 0 && LOCK.compareAndSet(this, 0, 1);
    }

    void lock() {
        for (int spins = 0; !tryLock(); spins++) {
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /** Release: publishes this holder's appender state to the next holder. */
    void unlock() {
        LOCK.setRelease(this, 0);
    }
}
