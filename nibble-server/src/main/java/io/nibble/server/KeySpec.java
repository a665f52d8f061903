package io.nibble.server;

/**
 * Where a command's keys sit among its arguments and whether it changes them: what {@link KeyLocks} needs to know.
 * {@link CommandTable} gives each command its spec; commands without one (PING, INFO, SCAN, KEYS...) take no key
 * locks.
 *
 * @param first index of the first key argument
 * @param step distance between key arguments when there are several
 * @param count how many keys there are at most; {@link #TO_THE_END} when keys continue to the last argument
 * @param writes whether the command may change its keys
 * @param everyKey whether it touches the whole key space (FLUSHALL): it locks every stripe
 * @param exclusive whether it reads some keys and writes another (RENAME, COPY, BITOP): it holds its stripes
 *                  exclusively
 * @param lockFree whether it names keys but locks none (WATCH only records their stripes' versions)
 * @param writtenKey the only key (0-based among the key arguments) a writing command changes, or -1 for all:
 *                   COPY reads its source, BITOP its sources; a WATCH on a key that is only read must hold
 */
record KeySpec(int first, int step, int count, boolean writes, boolean everyKey, boolean exclusive,
               boolean lockFree, int writtenKey) {
    static final int TO_THE_END = Integer.MAX_VALUE;
    static final KeySpec READ = new KeySpec(1, 1, 1, false, false, false, false, -1);
    /** The key after a subcommand (OBJECT ENCODING key, MEMORY USAGE key). */
    static final KeySpec SECOND = new KeySpec(2, 1, 1, false, false, false, false, -1);
    static final KeySpec WRITE = new KeySpec(1, 1, 1, true, false, false, false, -1);
    static final KeySpec READ_ALL = new KeySpec(1, 1, TO_THE_END, false, false, false, false, -1);
    static final KeySpec WRITE_ALL = new KeySpec(1, 1, TO_THE_END, true, false, false, false, -1);
    static final KeySpec WRITE_PAIRS = new KeySpec(1, 2, TO_THE_END, true, false, false, false, -1);
    static final KeySpec EVERY_KEY = new KeySpec(1, 1, 1, true, true, false, false, -1);
    static final KeySpec FROM_TO = new KeySpec(1, 1, 2, true, false, true, false, -1);
    /** Two keys read together (LCS). */
    static final KeySpec READ_PAIR = new KeySpec(1, 1, 2, false, false, false, false, -1);
    /** BITOP: a destination, then its sources; it reads the sources and writes the destination as one step. */
    static final KeySpec DESTINATION_FIRST = new KeySpec(2, 1, TO_THE_END, true, false, true, false, 0);
    /** COPY: a source it reads, then the destination it writes, as one step. */
    static final KeySpec SOURCE_TO_DESTINATION = new KeySpec(1, 1, 2, true, false, true, false, 1);
    static final KeySpec WATCHED = new KeySpec(1, 1, TO_THE_END, false, false, false, true, -1);

    /** Whether the command may change its {@code i}th key argument. */
    boolean writesKey(int i) {
        return writes && (writtenKey < 0 || writtenKey == i);
    }

    /** How many key arguments {@code args} holds under this spec (none when the command is too short). */
    int keyCount(byte[][] args) {
        if (everyKey || args.length <= first) {
            return 0;
        }
        return Math.min(count, (args.length - first + step - 1) / step);
    }

    byte[] key(byte[][] args, int i) {
        return args[first + i * step];
    }
}
