package io.nibble.log;

/**
 * The layout of one record in the log. Records are 8-byte aligned; a header never straddles a block boundary
 * (a writer skips to the next block when fewer than {@link #MAX_HEADER} bytes remain), while key and value may.
 *
 * <pre>
 *  0               8               16      20      24 (+8 when EXPIRES)
 *  +---------------+---------------+-------+-------+---------+---------+----------------+-----+
 *  |     meta      |   sequence    |  cap  |  crc  | expiry? |   key   | value (cap B)  | pad |
 *  +---------------+---------------+-------+-------+---------+---------+----------------+-----+
 *
 *  meta, bits 63..0:  flags:8 | reserved:8 | keyLength:16 | valueLength:32
 * </pre>
 *
 * <ul>
 *   <li>{@code valueLength} is the current value's length; {@code cap} is the bytes reserved for the value, which
 *   in-place updates may fill. The record's footprint is fixed at append: {@code align8(header + key + cap)}.</li>
 *   <li>{@code sequence} orders versions of one key: each publish of a key takes a sequence greater than the
 *   previous version's, so a scan of the log can tell which copy is newest.</li>
 *   <li>{@code crc} is reserved for durable regions (CRC32C of the record); 0 in memory-only stores.</li>
 *   <li>{@code expiry} (epoch milliseconds) is present only when the {@link #FLAG_EXPIRES} flag is set.</li>
 * </ul>
 * All words are little-endian.
 */
public final class RecordLayout {
    public static final int META_OFFSET = 0;
    public static final int SEQUENCE_OFFSET = 8;
    public static final int CAPACITY_OFFSET = 16;
    public static final int CRC_OFFSET = 20;
    public static final int HEADER = 24;
    public static final int EXPIRY_FIELD = 8;
    /** Largest header; a header starts only where at least this many bytes remain in its block. */
    public static final int MAX_HEADER = HEADER + EXPIRY_FIELD;

    public static final int FLAG_TOMBSTONE = 0x1;
    public static final int FLAG_EXPIRES = 0x2;

    /** Largest key, in bytes (the key length field is 16 bits). */
    public static final int MAX_KEY_LENGTH = 0xFFFF;

    private static final int FLAGS_SHIFT = 56;
    private static final int KEY_SHIFT = 32;
    private static final long KEY_MASK = 0xFFFFL;
    private static final long VALUE_MASK = 0xFFFF_FFFFL;

    private RecordLayout() { }

    public static long meta(int flags, int keyLength, int valueLength) {
        return ((long) flags << FLAGS_SHIFT) | ((keyLength & KEY_MASK) << KEY_SHIFT) | (valueLength & VALUE_MASK);
    }

    public static int flags(long meta) {
        return (int) (meta >>> FLAGS_SHIFT) & 0xFF;
    }

    public static int keyLength(long meta) {
        return (int) ((meta >>> KEY_SHIFT) & KEY_MASK);
    }

    public static int valueLength(long meta) {
        return (int) (meta & VALUE_MASK);
    }

    public static long withValueLength(long meta, int valueLength) {
        return (meta & ~VALUE_MASK) | (valueLength & VALUE_MASK);
    }

    public static int headerLength(int flags) {
        return (flags & FLAG_EXPIRES) != 0 ? HEADER + EXPIRY_FIELD : HEADER;
    }

    /** Bytes a record occupies in the log, padding included. */
    public static long footprint(int headerLength, int keyLength, long valueCapacity) {
        return align8(headerLength + (long) keyLength + valueCapacity);
    }

    /** Value capacity of a fresh record: the value plus the alignment padding, which costs nothing extra. */
    public static int capacityFor(int headerLength, int keyLength, int valueLength) {
        return (int) (footprint(headerLength, keyLength, valueLength) - headerLength - keyLength);
    }

    public static long align8(long n) {
        return (n + 7) & ~7L;
    }
}
