package io.nibble.server;

import java.util.Map;

/**
 * Where a command's keys sit among its arguments and whether it changes them: what {@link KeyLocks} needs to know.
 * Commands without a spec (PING, INFO, SCAN, KEYS...) take no key locks.
 *
 * @param first index of the first key argument
 * @param step distance between key arguments when there are several
 * @param count how many keys there are at most; {@link #TO_THE_END} when keys continue to the last argument
 * @param writes whether the command may change its keys
 * @param everyKey whether it touches the whole key space (FLUSHALL): it locks every stripe
 * @param exclusive whether it reads one key and writes another (RENAME, COPY): it holds its stripes exclusively
 */
record KeySpec(int first, int step, int count, boolean writes, boolean everyKey, boolean exclusive) {
    static final int TO_THE_END = Integer.MAX_VALUE;
    private static final KeySpec READ = new KeySpec(1, 1, 1, false, false, false);
    private static final KeySpec WRITE = new KeySpec(1, 1, 1, true, false, false);
    private static final KeySpec READ_ALL = new KeySpec(1, 1, TO_THE_END, false, false, false);
    private static final KeySpec WRITE_ALL = new KeySpec(1, 1, TO_THE_END, true, false, false);
    private static final KeySpec WRITE_PAIRS = new KeySpec(1, 2, TO_THE_END, true, false, false);
    private static final KeySpec EVERY_KEY = new KeySpec(1, 1, 1, true, true, false);
    private static final KeySpec FROM_TO = new KeySpec(1, 1, 2, true, false, true);

    private static final Map<String, KeySpec> SPECS = Map.ofEntries(
            Map.entry("GET", READ), Map.entry("STRLEN", READ), Map.entry("TYPE", READ), Map.entry("TTL", READ),
            Map.entry("PTTL", READ), Map.entry("EXPIRETIME", READ), Map.entry("PEXPIRETIME", READ),
            Map.entry("SET", WRITE), Map.entry("SETNX", WRITE), Map.entry("SETEX", WRITE),
            Map.entry("PSETEX", WRITE), Map.entry("GETSET", WRITE), Map.entry("GETDEL", WRITE),
            Map.entry("GETEX", WRITE), Map.entry("APPEND", WRITE), Map.entry("INCR", WRITE),
            Map.entry("DECR", WRITE), Map.entry("INCRBY", WRITE), Map.entry("DECRBY", WRITE),
            Map.entry("INCRBYFLOAT", WRITE), Map.entry("EXPIRE", WRITE), Map.entry("PEXPIRE", WRITE),
            Map.entry("EXPIREAT", WRITE), Map.entry("PEXPIREAT", WRITE), Map.entry("PERSIST", WRITE),
            Map.entry("GETRANGE", READ), Map.entry("SUBSTR", READ), Map.entry("SETRANGE", WRITE),
            Map.entry("OBJECT", new KeySpec(2, 1, 1, false, false, false)),
            Map.entry("MEMORY", new KeySpec(2, 1, 1, false, false, false)),
            Map.entry("RENAME", FROM_TO), Map.entry("RENAMENX", FROM_TO), Map.entry("COPY", FROM_TO),
            Map.entry("MGET", READ_ALL), Map.entry("EXISTS", READ_ALL), Map.entry("TOUCH", READ_ALL),
            Map.entry("DEL", WRITE_ALL), Map.entry("UNLINK", WRITE_ALL),
            Map.entry("MSET", WRITE_PAIRS), Map.entry("MSETNX", WRITE_PAIRS),
            Map.entry("FLUSHALL", EVERY_KEY), Map.entry("FLUSHDB", EVERY_KEY));

    /** The spec of an upper-case command name, or null when the command has no keys to lock. */
    static KeySpec of(String command) {
        return SPECS.get(command);
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
