package io.nibble;

import java.io.Serial;

/**
 * A put found no space after compaction had its chance: live data fills the store's capacity. The store is
 * unchanged by the failed put; deletes, smaller values or a larger capacity make room.
 */
public class NibbleFullException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public NibbleFullException() {
        super("store is full: live data fills its capacity even after compaction");
    }

    public NibbleFullException(String message) {
        super(message);
    }
}
