/** Parallel cost-benefit compaction: per-node workers relocate live records and free segments. Internal. */
package io.nibble.compact;
