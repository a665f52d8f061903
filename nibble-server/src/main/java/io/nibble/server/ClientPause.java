package io.nibble.server;

/**
 * CLIENT PAUSE: until when client commands wait, and whether all of them do or only writes. A command that arrives
 * during a pause is postponed: its connection blocks and tries the command again at the pause's end, or within
 * {@link #RECHECK_MILLIS} of a CLIENT UNPAUSE.
 *
 * <p>The deadline and the mode are read on every command, so they are volatile; changes are rare and synchronized.
 */
final class ClientPause {
    /** A postponed command looks again this often, so an UNPAUSE needs no list of the connections waiting. */
    static final long RECHECK_MILLIS = 50;

    private volatile long untilMillis;
    private volatile boolean all;

    /**
     * Pauses until {@code untilMillis} (epoch ms), all commands or only writes. As in Redis, a pause already running
     * is only ever lengthened, and only ever widened from writes to all commands.
     */
    synchronized void pause(long untilMillis, boolean allCommands) {
        long now = System.currentTimeMillis();
        boolean running = this.untilMillis > now;
        all = running ? all || allCommands : allCommands;
        if (untilMillis > this.untilMillis || !running) {
            this.untilMillis = untilMillis;
        }
    }

    /** A pause that ran out is cleared, so that {@link #active()} is false again; unless a new one began meanwhile. */
    private synchronized void ended(long until) {
        if (untilMillis == until) {
            untilMillis = 0;
            all = false;
        }
    }

    synchronized void unpause() {
        untilMillis = 0;
        all = false;
    }

    /** Whether a pause was set and not lifted (it may have run out): the cheap test before {@link #delayMillis}. */
    boolean active() {
        return untilMillis != 0;
    }

    /**
     * How long a command must wait before it is tried again, or 0 when it may run now. Writes wait in either mode,
     * every command in ALL mode; {@code writes} says whether this command writes (for EXEC: whether its queue does).
     */
    long delayMillis(boolean writes) {
        long until = untilMillis;
        if (until == 0) {
            return 0;
        }
        long left = until - System.currentTimeMillis();
        if (left <= 0) {
            ended(until);
            return 0;
        }
        if (!(all || writes)) {
            return 0;
        }
        return Math.min(left, RECHECK_MILLIS);
    }
}
