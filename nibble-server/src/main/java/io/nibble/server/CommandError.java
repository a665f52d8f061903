package io.nibble.server;

/** A command's own error, answered as {@code -<message>} while the connection stays open. */
final class CommandError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandError(String message) {
        super(message, null, false, false);
    }
}
