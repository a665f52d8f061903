package io.nibble.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayDeque;

/**
 * The connections of one event loop whose replies wait to be flushed. Replies produced while the loop works
 * through one batch of ready sockets leave together once it has finished the batch, as Redis writes its replies
 * before it sleeps: clients then find several replies ready per wake-up instead of one at a time.
 *
 * <p>Confined to its event loop's thread; the flush runs as a task of that loop, after its I/O.
 */
final class FlushBatch implements Runnable {
    private static final FastThreadLocal<FlushBatch> PER_LOOP = new FastThreadLocal<>() {
        @Override
        protected FlushBatch initialValue() {
            return new FlushBatch();
        }
    };

    private final ArrayDeque<ChannelHandlerContext> waiting = new ArrayDeque<>();

    /**
     * Queues {@code ctx} to flush after the loop's current I/O; call on its loop thread only. A connection reads
     * once per pass, so it is queued once; a second entry would only cost an empty flush.
     */
    static void defer(ChannelHandlerContext ctx) {
        FlushBatch batch = PER_LOOP.get();
        if (batch.waiting.isEmpty()) {
            ctx.executor().execute(batch);
        }
        batch.waiting.add(ctx);
    }

    /** Flushes this loop's waiting connections now; call on a loop thread only. */
    static void flushNow() {
        PER_LOOP.get().run();
    }

    @Override
    public void run() {
        ChannelHandlerContext ctx;
        while ((ctx = waiting.poll()) != null) {
            ctx.flush();
        }
    }
}
