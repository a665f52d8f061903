/** The optimistic, partitioned, incrementally resized hash index. Internal. */
package io.nibble.index;
