package io.nibble;

import java.util.Objects;

/**
 * What {@link Nibble#update} does to a key: keep it as it is, delete it, or store a value with an expiry.
 *
 * @param kind what to do
 * @param value the value to store (a {@code byte[]} or a {@link java.lang.foreign.MemorySegment}), for
 *     {@link Kind#PUT}
 * @param expireAtMillis expiry in epoch milliseconds, 0 for none, for {@link Kind#PUT}
 */
public record Update(Kind kind, Object value, long expireAtMillis) {
    /** The three outcomes. */
    public enum Kind { KEEP, DELETE, PUT }

    private static final Update KEEP = new Update(Kind.KEEP, null, 0);
    private static final Update DELETE = new Update(Kind.DELETE, null, 0);

    public Update {
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.PUT) {
            Objects.requireNonNull(value, "value");
            if (!(value instanceof byte[]) && !(value instanceof java.lang.foreign.MemorySegment)) {
                throw new IllegalArgumentException("value must be a byte[] or a MemorySegment");
            }
            if (expireAtMillis < 0) {
                throw new IllegalArgumentException("expiry must be epoch milliseconds or 0: " + expireAtMillis);
            }
        }
    }

    /** Leave the key as it is. */
    public static Update keep() {
        return KEEP;
    }

    /** Remove the key. */
    public static Update delete() {
        return DELETE;
    }

    /** Store {@code value}, expiring at {@code expireAtMillis} (0 for never). */
    public static Update put(byte[] value, long expireAtMillis) {
        return new Update(Kind.PUT, value, expireAtMillis);
    }

    /** Decides a key's {@link Update} from its current state. */
    @FunctionalInterface
    public interface Function {
        /**
         * @param current the value, or null when the key is absent or expired
         * @param expireAtMillis the key's expiry in epoch milliseconds, 0 when it has none
         */
        Update apply(byte[] current, long expireAtMillis);
    }
}
