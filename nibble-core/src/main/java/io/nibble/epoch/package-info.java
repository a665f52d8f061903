/** Epoch-based reclamation: operations pin a slot, reclaimers wait until no slot predates a stamp. Internal. */
package io.nibble.epoch;
