package io.nibble.server;

import java.util.ArrayList;
import java.util.List;

/** Per-connection state: protocol version, authentication, name, and a transaction's queued commands. */
final class Session {
    final long id;
    int protocol = 2;
    boolean authenticated;
    String name;
    /** Commands queued by MULTI; null outside a transaction. */
    List<byte[][]> queued;
    /** A command inside MULTI failed to queue: EXEC must abort. */
    boolean transactionFailed;
    /** Length of the last value this connection read: the room GET plans for in the reply buffer. */
    int lastValueLength = 64;

    Session(long id, boolean authenticated) {
        this.id = id;
        this.authenticated = authenticated;
    }

    void beginTransaction() {
        queued = new ArrayList<>();
        transactionFailed = false;
    }

    void endTransaction() {
        queued = null;
        transactionFailed = false;
    }
}
