/** The lock-free block allocator (LLFree-style bitmap with per-CPU reservation hints). Internal. */
package io.nibble.alloc;
