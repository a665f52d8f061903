package io.nibble.server;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Elastic event loops: connections gather on as few of the server's loops as keep up with the load, and spread over
 * more when those saturate, as Redis turns its I/O threads on only under load. On a machine the clients share, one
 * busy loop sleeps and wakes far less often per request than several half-idle ones, and each wake-up costs the
 * waking client too; under heavy load every core serves.
 *
 * <p>New connections go to the active loops in turn. A balancer thread samples every loop each {@link #TICK_MS}
 * milliseconds, asks {@link LoopPolicy} how many loops to use, and moves connections to match. A connection moves
 * between reads, on its own loop: it flushes its replies, leaves that loop's epoll set and joins the target's, so
 * its handlers never run on two threads at once. Netty hands the channel over through the target loop's task queue,
 * which orders the old loop's last writes to the handlers' state before the new loop's first reads of it.
 */
final class ElasticLoops implements EventExecutorChooserFactory, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.nibble.server");
    static final long TICK_MS = 50;

    private final Set<Channel> channels = ConcurrentHashMap.newKeySet();
    /** Connections between leaving one loop and joining the next: a second move must wait until they land. */
    private final Set<Channel> moving = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger nextLoop = new AtomicInteger();
    private volatile EventExecutor[] loops;
    /** Loops that take connections: the first {@code active} of {@link #loops}. */
    private volatile int active;
    private final boolean elastic;
    private ScheduledExecutorService balancer;

    /**
     * @param elastic whether the number of active loops follows the load; when false every loop is always active
     */
    ElasticLoops(boolean elastic) {
        this.elastic = elastic;
    }

    @Override
    public EventExecutorChooser newChooser(EventExecutor[] executors) {
        this.loops = executors.clone();
        this.active = elastic ? 1 : executors.length;
        return () -> {
            EventExecutor[] all = loops;
            return all[Math.floorMod(nextLoop.getAndIncrement(), active)];
        };
    }

    /** Loops that currently take connections. */
    int active() {
        return active;
    }

    /** Connections the balancer knows of. */
    int connections() {
        return channels.size();
    }

    /** How many loops hold at least one connection. */
    int loopsInUse() {
        Set<EventExecutor> used = new java.util.HashSet<>();
        for (Channel ch : channels) {
            used.add(ch.eventLoop());
        }
        return used.size();
    }

    /** Starts balancing; {@code commands} counts completed commands. No-op unless elastic with several loops. */
    void start(LongSupplier commands) {
        if (!elastic || loops.length < 2) {
            return;
        }
        LoopLoad[] load = new LoopLoad[loops.length];
        for (int i = 0; i < loops.length; i++) {
            load[i] = loops[i].submit(LoopLoad::ofCurrentThread).syncUninterruptibly().getNow();
        }
        LoopPolicy policy = new LoopPolicy(loops.length);
        balancer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("nibble-balancer").unstarted(r));
        Sampler sampler = new Sampler(policy, load, commands);
        balancer.scheduleAtFixedRate(sampler, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
    }

    /** A connection the balancer may move; call when it becomes active. */
    void add(Channel channel) {
        accepted.incrementAndGet();
        channels.add(channel);
    }

    void remove(Channel channel) {
        channels.remove(channel);
    }

    /**
     * Uses the first {@code loops} loops from now on and moves connections so that each holds an equal share.
     * Returns how many moves were started.
     */
    synchronized int resize(int loops) {
        EventExecutor[] all = this.loops;
        int target = Math.clamp(loops, 1, all.length);
        active = target;
        List<List<Channel>> byLoop = new ArrayList<>(all.length);
        for (int i = 0; i < all.length; i++) {
            byLoop.add(new ArrayList<>());
        }
        int total = 0;
        for (Channel ch : channels) {
            int i = indexOf(all, ch.eventLoop());
            if (i >= 0) {
                byLoop.get(i).add(ch);
                total++;
            }
        }
        int share = (total + target - 1) / target;
        // Connections over their loop's share, or on a loop no longer active, go where there is room.
        List<Channel> surplus = new ArrayList<>();
        for (int i = 0; i < all.length; i++) {
            List<Channel> l = byLoop.get(i);
            int keep = i < target ? Math.min(l.size(), share) : 0;
            surplus.addAll(l.subList(keep, l.size()));
            l.subList(keep, l.size()).clear();
        }
        int to = 0;
        for (Channel ch : surplus) {
            while (byLoop.get(to).size() >= share) {
                to++;
            }
            byLoop.get(to).add(ch);
            move(ch, (EventLoop) all[to]);
        }
        return surplus.size();
    }

    private static int indexOf(EventExecutor[] all, EventExecutor loop) {
        for (int i = 0; i < all.length; i++) {
            if (all[i] == loop) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Moves {@code ch} to {@code target} at its loop's next task. A connection that is closing, already moving,
     * blocked (WAIT; its timer runs on this loop), a MONITOR (other threads write to it), or that has replies the
     * socket has not taken stays where it is: the last would need the write interest its old loop holds. Other
     * threads close a connection through {@link #closeOnItsLoop}, never directly.
     */
    private void move(Channel ch, EventLoop target) {
        EventLoop from = ch.eventLoop();
        from.execute(() -> {
            if (!moving.add(ch)) {
                return;
            }
            CommandHandler handler = ch.pipeline().get(CommandHandler.class);
            boolean served = handler != null && handler.movable() && ch.isActive() && ch.isRegistered()
                    && ch.eventLoop() == from;
            if (served) {
                FlushBatch.flushNow(); // replies this loop still holds for the connection leave first
            }
            var outbound = ch.unsafe().outboundBuffer();
            if (!served || outbound == null || outbound.totalPendingWriteBytes() > 0 || !ch.isWritable()) {
                moving.remove(ch);
                return;
            }
            ch.deregister().addListener(left -> {
                if (!left.isSuccess() || !ch.isOpen()) {
                    moving.remove(ch);
                    ch.close();
                    releaseLost(ch);
                    return;
                }
                // Netty deregisters in a task of its own, and an I/O pass may run first: a command read then (MONITOR,
                // WAIT) can make the connection unmovable after all, and it goes back to the loop it left.
                EventLoop to = handler.movable() ? target : from;
                to.register(ch).addListener(joined -> {
                    moving.remove(ch);
                    if (!joined.isSuccess()) {
                        if (ch.isOpen()) {
                            LOG.log(System.Logger.Level.WARNING, "closing a connection that could not move between "
                                    + "event loops: " + joined.cause());
                        }
                        ch.close();
                        releaseLost(ch);
                    } else if (!ch.isOpen()) {
                        // Closed as it registered here: the close either saw it registered and queued
                        // channelInactive on this loop, or did not, and this releases it; both run here, once.
                        releaseLost(ch);
                    }
                });
            });
        });
    }

    /**
     * A connection closed while it was off every loop is closed without channelInactive, since Netty fires that only
     * for a registered channel. Firing channelUnregistered on the closed channel makes the pipeline tear itself down:
     * every handler's handlerRemoved runs (the command handler's release, the decoder's buffer and budget), once.
     * Called on the loop the channel was last given to, after the hand-over from the one it left.
     */
    private static void releaseLost(Channel ch) {
        ch.pipeline().fireChannelUnregistered();
    }

    /**
     * Closes {@code ch} from any thread on the loop that serves it, following it if a move is under way: a close run
     * while the channel is between loops would skip channelInactive, and one run on the loop it left would race the
     * loop it joined.
     */
    static void closeOnItsLoop(Channel ch) {
        EventLoop loop = ch.eventLoop();
        try {
            loop.execute(() -> {
                if (!ch.isOpen()) {
                    return;
                }
                if (ch.isRegistered() && ch.eventLoop() == loop) {
                    ch.close();
                } else {
                    loop.schedule(() -> closeOnItsLoop(ch), 1, TimeUnit.MILLISECONDS);
                }
            });
        } catch (RejectedExecutionException shuttingDown) {
            // the loop is shutting down, and closes its connections itself
        }
    }

    @Override
    public void close() {
        if (balancer != null) {
            balancer.shutdownNow();
        }
    }

    /** One balancer tick: samples the loops, consults the policy, moves connections when it says so. */
    private final class Sampler implements Runnable {
        private final LoopPolicy policy;
        private final LoopLoad[] load;
        private final LongSupplier commands;
        private final long[] lastBusy;
        private final double[] demand;
        private long lastNanos = System.nanoTime();
        private long lastCommands;
        private int lastAccepted;

        Sampler(LoopPolicy policy, LoopLoad[] load, LongSupplier commands) {
            this.policy = policy;
            this.load = load;
            this.commands = commands;
            this.lastBusy = new long[load.length];
            this.demand = new double[load.length];
            for (int i = 0; i < load.length; i++) {
                lastBusy[i] = load[i].busyNanos();
            }
            lastCommands = commands.getAsLong();
        }

        @Override
        public void run() {
            try {
                long now = System.nanoTime();
                double elapsed = Math.max(1, now - lastNanos);
                for (int i = 0; i < load.length; i++) {
                    long busy = load[i].busyNanos();
                    demand[i] = (busy - lastBusy[i]) / elapsed;
                    lastBusy[i] = busy;
                }
                long done = commands.getAsLong();
                double rate = (done - lastCommands) * 1e9 / elapsed;
                int arrived = accepted.get();
                boolean newLoad = arrived - lastAccepted > channels.size() / 2;
                lastNanos = now;
                lastCommands = done;
                lastAccepted = arrived;
                int before = policy.active();
                int after = policy.onSample(demand, rate, newLoad);
                if (after != before) {
                    int moves = resize(after);
                    LOG.log(System.Logger.Level.DEBUG, "event loops " + before + " -> " + after + " ("
                            + (policy.onTrial() ? "trial" : "undo") + "), " + moves + " connections moved");
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "event loop balancing stopped after an unexpected error", e);
                throw e;
            }
        }
    }

    /**
     * How long one loop thread has been running or waiting to run. Linux's per-thread schedstat gives both; where
     * it is missing, CPU time alone stands in (a loop starved of CPU then looks less busy than it is).
     */
    record LoopLoad(Path schedstat, long threadId) {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

        static LoopLoad ofCurrentThread() {
            Path stat = null;
            try {
                Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
                Path candidate = Path.of("/proc").resolve(self).resolve("schedstat");
                if (Files.isReadable(candidate)) {
                    stat = candidate;
                }
            } catch (IOException | UnsupportedOperationException e) {
                // not Linux: CPU time below
            }
            return new LoopLoad(stat, Thread.currentThread().threadId());
        }

        long busyNanos() {
            if (schedstat != null) {
                try {
                    String[] fields = new String(Files.readAllBytes(schedstat), StandardCharsets.US_ASCII).trim()
                            .split(" ");
                    return Long.parseLong(fields[0]) + Long.parseLong(fields[1]);
                } catch (IOException | RuntimeException e) {
                    return 0;
                }
            }
            return Math.max(0, THREADS.getThreadCpuTime(threadId));
        }
    }
}
