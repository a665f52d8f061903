/**
 * Nibble: a concurrent, log-structured, off-heap key-value store. {@link io.nibble.Nibble} is the entry point;
 * the sub-packages are the engine's internals and not part of the API.
 */
package io.nibble;
