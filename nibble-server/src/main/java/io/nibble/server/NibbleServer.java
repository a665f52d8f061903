package io.nibble.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ThreadPerTaskExecutor;
import io.nibble.Nibble;
import picocli.CommandLine;

import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Redis-protocol server: Netty event loops (epoll where available) that decode requests and run them directly
 * against one shared store. There is no command thread: the engine is concurrent, so every I/O thread executes
 * its own connections' commands (as Garnet does), and pipelined replies leave in one write per read.
 */
public final class NibbleServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.nibble.server");

    private final ServerConfig config;
    private final Nibble store;
    private final ElasticLoops loops;
    private final EventLoopGroup group;
    private final Channel listener;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private NibbleServer(ServerConfig config) throws InterruptedException {
        this.config = config;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channel = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        this.store = Nibble.builder().capacity(config.capacity).updateMode(config.updateMode).build();
        this.loops = new ElasticLoops(config.elasticLoops);
        this.group = new MultiThreadIoEventLoopGroup(config.threads,
                new ThreadPerTaskExecutor(new DefaultThreadFactory("nibble-io")), loops, io);
        ServerStats stats = new ServerStats();
        stats.activeLoops = loops::active;
        Commands commands = new Commands(store, config, stats, () -> Thread.ofPlatform().start(this::close));
        RespLimits limits = config.limits();
        boolean needsAuth = config.requirePass != null;
        try {
            this.listener = new ServerBootstrap()
                    .group(group)
                    .channel(channel)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                            waterMark(limits.maxOutputBytes()))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new RespDecoder(limits, commands.inputBudget()),
                                    new CommandHandler(commands, stats, limits, loops, needsAuth));
                        }
                    })
                    .bind(new InetSocketAddress(config.bind, config.port)).sync().channel();
            loops.start(stats.commandStats::totalCalls);
        } catch (RuntimeException | InterruptedException e) {
            loops.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            store.close();
            throw e;
        }
        LOG.log(System.Logger.Level.INFO, "nibble server listening on " + listener.localAddress() + " ("
                + (epoll ? "epoll" : "nio") + "): " + config);
    }

    /** Writability flips off at the output limit and back on below half of it (or 1 MiB). */
    private static WriteBufferWaterMark waterMark(long maxOutputBytes) {
        int high = (int) Math.min(Integer.MAX_VALUE, maxOutputBytes);
        return new WriteBufferWaterMark(Math.min(1 << 20, high / 2), high);
    }

    /** Starts a server with {@code config}; it runs until {@link #close()} or SHUTDOWN. */
    public static NibbleServer start(ServerConfig config) throws Exception {
        config.validate();
        return new NibbleServer(config);
    }

    /** The port the server listens on (useful with port 0). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** The event loops and the connections on them (for tests). */
    ElasticLoops loops() {
        return loops;
    }

    /** Waits until the server has stopped. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops accepting, closes connections, stops the event loops and closes the store. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            boolean interrupted = false;
            while (stopped.getCount() > 0) {
                try {
                    stopped.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            listener.close().awaitUninterruptibly();
            loops.close();
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            store.close();
            LOG.log(System.Logger.Level.INFO, "nibble server stopped");
        } finally {
            stopped.countDown();
        }
    }

    /** {@code ./nibble server [flags]}: runs until SIGTERM, SIGINT or SHUTDOWN. */
    public static void main(String[] args) throws Exception {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            // Leak sampling records a stack trace for one buffer in 128, a measurable cost per request; the tests,
            // which start servers without main, keep it on.
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        ServerConfig config = new ServerConfig();
        CommandLine cli = new CommandLine(config);
        CommandLine.ParseResult parsed;
        try {
            parsed = cli.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            cli.usage(System.err);
            System.exit(2);
            return;
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return;
        }
        Set<String> given = new HashSet<>();
        parsed.matchedOptions().forEach(o -> given.add(o.longestName()));
        NibbleServer server;
        try {
            config.applyFile(given);
            server = start(config);
        } catch (IllegalArgumentException | java.io.IOException e) {
            System.err.println("nibble server: " + e.getMessage());
            System.exit(2);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "nibble-shutdown"));
        server.awaitStop();
    }
}
