package io.nibble.server;

import java.io.Serial;

/** A request that breaks the protocol or its limits; the server answers {@code -ERR Protocol error} and closes. */
public final class RespProtocolException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public RespProtocolException(String message) {
        super(message, null, false, false);
    }
}
