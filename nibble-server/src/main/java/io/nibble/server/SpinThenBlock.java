package io.nibble.server;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;

/**
 * Busy polling: after each wake-up an event loop keeps polling its sockets without blocking for up to a set time
 * before it sleeps again. While requests arrive more often than that, the loop never sleeps, so clients never pay
 * for waking it; the price is a core kept busy meanwhile, and up to that time of CPU per wake-up when idle.
 * With a time of zero the loop sleeps whenever it has nothing to do, as Netty's default does.
 *
 * <p>Confined to its event loop's thread.
 */
final class SpinThenBlock implements SelectStrategy {
    private final long spinNanos;
    private long awakeSince;
    private boolean slept = true;

    SpinThenBlock(long spinNanos) {
        this.spinNanos = spinNanos;
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        if (hasTasks) {
            slept = false;
            return selectNow.get();
        }
        long now = System.nanoTime();
        if (slept) {
            awakeSince = now;
        }
        while (now - awakeSince < spinNanos) {
            int ready = selectNow.get();
            if (ready > 0) {
                awakeSince = now;
                slept = false;
                return ready;
            }
            Thread.onSpinWait();
            now = System.nanoTime();
        }
        slept = true;
        return SelectStrategy.SELECT;
    }
}
