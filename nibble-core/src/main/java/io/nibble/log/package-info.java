/** The log: record layout, segments of blocks, per-core heads per node. Internal. */
package io.nibble.log;
