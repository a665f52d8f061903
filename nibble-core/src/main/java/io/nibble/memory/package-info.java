/**
 * Address space: regions reserved with {@code mmap}, released with {@code madvise}, NUMA placement and the other
 * native calls. Internal: not part of the API.
 */
package io.nibble.memory;
