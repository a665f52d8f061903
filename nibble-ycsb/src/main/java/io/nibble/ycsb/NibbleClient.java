package io.nibble.ycsb;

import io.nibble.Nibble;
import io.nibble.NibbleFullException;
import io.nibble.UpdateMode;
import io.nibble.demo.Sizes;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.DBException;
import site.ycsb.Status;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.Vector;

/**
 * Nibble as a YCSB database. YCSB creates one instance per client thread; they all share one engine per JVM,
 * opened by the first {@link #init()} and closed by the last {@link #cleanup()}. Properties:
 * {@code nibble.capacity} (bytes, or with a k/m/g suffix; default 1g) and {@code nibble.updatemode}
 * ({@code inplace} or {@code append}; default inplace). The table name prefixes the key.
 *
 * <p>Updates merge fields into the stored record atomically ({@link Nibble#compute}), so concurrent updates of
 * different fields of one record all survive. Scans are not supported: the engine's index is a hash index with no
 * key order, so workload E reports NOT_IMPLEMENTED.
 */
public final class NibbleClient extends DB {
    public static final String CAPACITY = "nibble.capacity";
    public static final String UPDATE_MODE = "nibble.updatemode";

    private static final Object LOCK = new Object();
    private static Nibble shared;
    private static int users;

    private Nibble store;

    @Override
    public void init() throws DBException {
        try {
            store = acquire(getProperties());
        } catch (IllegalArgumentException e) {
            throw new DBException("cannot open Nibble: " + e.getMessage(), e);
        }
    }

    @Override
    public void cleanup() {
        if (store != null) {
            store = null;
            release();
        }
    }

    /** Opens the JVM's engine on first use, with the given properties, and counts one more user of it. */
    static Nibble acquire(Properties p) {
        synchronized (LOCK) {
            if (shared == null) {
                shared = Nibble.builder()
                        .capacity(parseBytes(p.getProperty(CAPACITY, "1g")))
                        .updateMode(parseMode(p.getProperty(UPDATE_MODE, "inplace")))
                        .build();
            }
            users++;
            return shared;
        }
    }

    /** Counts one user less; the last one closes the engine. */
    static void release() {
        synchronized (LOCK) {
            if (users > 0 && --users == 0) {
                shared.close();
                shared = null;
            }
        }
    }

    static long parseBytes(String text) {
        try {
            return Sizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CAPACITY + ": " + e.getMessage(), e);
        }
    }

    static UpdateMode parseMode(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "inplace", "in_place", "in-place" -> UpdateMode.IN_PLACE;
            case "append" -> UpdateMode.APPEND;
            default -> throw new IllegalArgumentException(UPDATE_MODE + " must be inplace or append: '" + text + "'");
        };
    }

    private static byte[] key(String table, String key) {
        return (table + ":" + key).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        byte[] record = store.get(key(table, key));
        if (record == null) {
            return Status.NOT_FOUND;
        }
        RecordCodec.decode(record, fields).forEach((k, v) -> result.put(k, new ByteArrayByteIterator(v)));
        return Status.OK;
    }

    @Override
    public Status scan(String table, String startkey, int recordcount, Set<String> fields,
                       Vector<HashMap<String, ByteIterator>> result) {
        return Status.NOT_IMPLEMENTED;
    }

    @Override
    public Status update(String table, String key, Map<String, ByteIterator> values) {
        Map<String, byte[]> changed = RecordCodec.toBytes(values);
        try {
            byte[] merged = store.compute(key(table, key), current -> {
                if (current == null) {
                    return null;
                }
                Map<String, byte[]> fields = RecordCodec.decode(current, null);
                fields.putAll(changed);
                return RecordCodec.encode(fields);
            });
            return merged == null ? Status.NOT_FOUND : Status.OK;
        } catch (NibbleFullException e) {
            return Status.SERVICE_UNAVAILABLE;
        }
    }

    @Override
    public Status insert(String table, String key, Map<String, ByteIterator> values) {
        try {
            store.put(key(table, key), RecordCodec.encode(RecordCodec.toBytes(values)));
            return Status.OK;
        } catch (NibbleFullException e) {
            return Status.SERVICE_UNAVAILABLE;
        }
    }

    @Override
    public Status delete(String table, String key) {
        return store.delete(key(table, key)) ? Status.OK : Status.NOT_FOUND;
    }
}
