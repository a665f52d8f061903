package io.nibble.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.DecoderException;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs each decoded command on the connection's I/O thread and batches the replies of one read into one buffer,
 * flushed when the read completes: pipelined requests cost one write. A client that leaves too many reply bytes
 * unread is disconnected, so a slow reader cannot grow server memory without bound.
 */
final class CommandHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger("io.nibble.server");
    private static final AtomicLong IDS = new AtomicLong();

    private final Commands commands;
    private final ServerStats stats;
    private final RespLimits limits;
    private final ElasticLoops loops;
    private final Session session;
    private ByteBuf pending;
    private boolean closing;
    /** Between channelActive and {@link #release}: the connection is counted and holds what release gives back. */
    private boolean active;
    /** The block a command (WAIT) put this connection under; null when it runs commands. */
    private Session.Block blockedBy;
    private ScheduledFuture<?> blockTimer;
    /** Commands decoded while blocked: they run, in order, once the block ends. */
    private final ArrayDeque<Object> heldBack = new ArrayDeque<>();
    /** Capacity for the next read's reply buffer: the size of the last batch, so pipelined replies rarely grow it. */
    private int replyBytesHint = 512;

    CommandHandler(Commands commands, ServerStats stats, RespLimits limits, ElasticLoops loops,
                   boolean needsAuth) {
        this.commands = commands;
        this.stats = stats;
        this.limits = limits;
        this.loops = loops;
        this.session = new Session(IDS.incrementAndGet(), !needsAuth, commands.inputBudget());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        active = true;
        stats.connectionsReceived.incrementAndGet();
        if (stats.connectedClients.incrementAndGet() > limits.maxClients()) {
            stats.rejectedConnections.incrementAndGet();
            ByteBuf out = ctx.alloc().buffer();
            Reply.error(out, "ERR max number of clients reached");
            stats.commandStats.errorReply("ERR max number of clients reached");
            ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
            closing = true;
        } else {
            loops.add(ctx.channel());
            commands.register(session, ctx.channel());
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release(ctx.channel());
        ctx.fireChannelInactive();
    }

    /** A pipeline torn down without channelInactive reaching it (closed as a move between loops began). */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release(ctx.channel());
    }

    /**
     * Gives back everything the connection holds: its place in the counts, the balancer and the client list, its
     * transaction and watches, its reply buffer. Runs once, however the connection ended: from channelInactive, or
     * from handlerRemoved when the pipeline is torn down without it (a connection closed while it moved between
     * loops, for which {@link ElasticLoops} tears the pipeline down). Always on the thread that last ran the
     * connection, or after a hand-over from it.
     */
    void release(Channel channel) {
        if (!active) {
            return;
        }
        active = false;
        try {
            releaseHeld(channel);
        } finally {
            stats.connectedClients.decrementAndGet(); // last: once the count drops, nothing else of it is left
        }
    }

    private void releaseHeld(Channel channel) {
        if (blockedBy != null) {
            blockedBy = null;
            session.blocked = false;
            stats.blockedClients.decrementAndGet();
            if (blockTimer != null) {
                blockTimer.cancel(false);
            }
        }
        heldBack.clear();
        loops.remove(channel);
        commands.release(session);
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    /** Replies above this size leave for the socket before the read batch ends, bounding {@link #pending}. */
    private static final int EARLY_WRITE_BYTES = 64 << 10;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            return;
        }
        if (blockedBy != null) {
            heldBack.add(msg);
            return;
        }
        // Replies of earlier reads the client has not taken yet: past the limit it is not reading, so stop.
        var outbound = ctx.channel().unsafe().outboundBuffer();
        if (outbound != null && outbound.totalPendingWriteBytes() > limits.maxOutputBytes()) {
            LOG.log(System.Logger.Level.WARNING, "closing client " + session.id + ": more than "
                    + limits.maxOutputBytes() + " reply bytes unread");
            closing = true;
            ctx.close();
            return;
        }
        if (pending == null) {
            pending = ctx.alloc().ioBuffer(replyBytesHint);
        }
        if (!commands.execute(session, (byte[][]) msg, pending)) {
            closeAfterReplies(ctx);
            return;
        }
        if (session.block != null) {
            block(ctx);
        } else if (pending.readableBytes() > EARLY_WRITE_BYTES) {
            // Large replies leave now, so the socket drains them while later commands of the read still run.
            ctx.writeAndFlush(pending, ctx.voidPromise());
            pending = null;
        }
    }

    /**
     * Blocks the connection as its last command asked: replies so far still leave, but nothing more is read or run
     * until the block's timeout ends it (or never, for a timeout of 0, until the connection closes).
     */
    private void block(ChannelHandlerContext ctx) {
        blockedBy = session.block;
        session.block = null;
        stats.blockedClients.incrementAndGet();
        ctx.channel().config().setAutoRead(false);
        // The connection stays on this loop while blocked (ElasticLoops does not move it), so the timer and CLIENT
        // UNBLOCK's task run here, on the handler's thread.
        if (blockedBy.timeoutMillis() > 0) {
            blockTimer = ctx.executor().schedule(() -> onChannelLoop(ctx, () -> unblock(ctx, false)),
                    blockedBy.timeoutMillis(), TimeUnit.MILLISECONDS);
        }
        // CLIENT UNBLOCK's end of the block is always a task of its own: run inline from another connection's
        // command, it would replay this connection's commands inside that one, which may hold key locks they need.
        // It ends only the block it was taken for, not a later one.
        Session.Block mine = blockedBy;
        session.unblocker = withError -> ctx.channel().eventLoop().execute(() -> {
            if (blockedBy == mine) {
                unblock(ctx, withError);
            }
        });
        session.unblockable = blockedBy.unblockable();
        session.blocked = true;
    }

    /**
     * Ends the block: its reply (or CLIENT UNBLOCK's error), then the commands held back, then reading again unless
     * one of them blocks.
     */
    private void unblock(ChannelHandlerContext ctx, boolean withError) {
        if (blockedBy == null || !ctx.channel().isActive()) {
            return;
        }
        try {
            endBlock(ctx, withError);
        } catch (RuntimeException | Error e) {
            // Run from a timer, an error would otherwise vanish and leave the connection neither blocked nor reading.
            LOG.log(System.Logger.Level.ERROR, "closing client " + session.id + " after an unexpected error", e);
            closing = true;
            ctx.close();
        }
    }

    private void endBlock(ChannelHandlerContext ctx, boolean withError) {
        Session.Block ended = blockedBy;
        blockedBy = null;
        session.blocked = false;
        if (blockTimer != null) {
            blockTimer.cancel(false);
            blockTimer = null;
        }
        stats.blockedClients.decrementAndGet();
        if (pending == null) {
            pending = ctx.alloc().ioBuffer(replyBytesHint);
        }
        if (withError) {
            String message = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
            stats.commandStats.errorReply(message);
            if (!ended.skipped() && !session.replyOff) { // CLIENT REPLY applies to it as to any late reply
                Reply.error(pending, message);
            }
        } else {
            ended.reply().accept(pending); // a postponed command runs here, and may block or close again
            if (session.closeAfterReply) {
                closeAfterReplies(ctx);
                return;
            }
            if (session.block != null) {
                flush(ctx);
                block(ctx);
                return;
            }
        }
        for (Object next; blockedBy == null && !closing && (next = heldBack.poll()) != null; ) {
            if (next instanceof RespProtocolException broken) {
                protocolError(ctx, broken);
            } else {
                channelRead(ctx, next);
            }
        }
        flush(ctx);
        if (blockedBy == null && !closing) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
        }
    }

    /**
     * Runs {@code task} on the loop that serves the connection now. A move between loops that was already under way
     * when the block began can still land, so the timer's loop is not necessarily the connection's.
     */
    private static void onChannelLoop(ChannelHandlerContext ctx, Runnable task) {
        EventLoop loop = ctx.channel().eventLoop();
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    /**
     * Whether the balancer may move the connection to another loop, read on the connection's loop: not while it is
     * blocked (its timer runs on this loop), nor once it is a MONITOR, which other threads write to and may close.
     */
    boolean movable() {
        return blockedBy == null && !session.monitoring;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        session.lastActiveMillis = System.currentTimeMillis();
        if (pending != null && pending.isReadable()) {
            // Pipelined replies of one read arrive in batches of similar size: start the next buffer that large.
            replyBytesHint = Math.clamp(pending.readableBytes(), 512, EARLY_WRITE_BYTES);
            ctx.write(pending, ctx.voidPromise());
            pending = null;
            FlushBatch.defer(ctx);
        }
    }

    private void flush(ChannelHandlerContext ctx) {
        if (pending != null && pending.isReadable()) {
            ctx.writeAndFlush(pending, ctx.voidPromise());
            pending = null;
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Stop reading a client that does not read its replies; resume once they drain.
        ctx.channel().config().setAutoRead(ctx.channel().isWritable() && blockedBy == null);
        ctx.fireChannelWritabilityChanged();
    }

    /** Closes once everything written so far, the last reply included, has left (QUIT, SHUTDOWN, CLIENT KILL). */
    private void closeAfterReplies(ChannelHandlerContext ctx) {
        closing = true;
        ByteBuf last = pending;
        pending = null;
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    /** Answers a broken frame with the protocol error and closes once everything before it has left. */
    private void protocolError(ChannelHandlerContext ctx, RespProtocolException broken) {
        stats.protocolErrors.incrementAndGet();
        flush(ctx);
        ByteBuf out = ctx.alloc().buffer();
        String message = "ERR Protocol error: " + broken.getMessage();
        Reply.error(out, message);
        stats.commandStats.errorReply(message);
        closing = true;
        ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (root instanceof RespProtocolException broken) {
            if (blockedBy != null) {
                heldBack.add(broken); // Redis reads no further while blocked: the error follows the held replies
                return;
            }
            protocolError(ctx, broken);
        } else if (root instanceof IOException) {
            ctx.close(); // the peer went away
        } else {
            LOG.log(System.Logger.Level.ERROR, "closing client " + session.id + " after an unexpected error", root);
            ctx.close();
        }
    }
}
