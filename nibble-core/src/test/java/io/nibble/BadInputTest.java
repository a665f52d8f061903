package io.nibble;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear exception and changes nothing. */
class BadInputTest {

    private static Nibble small() {
        return Nibble.builder().capacity(32L << 20).build();
    }

    @Test
    void nullArgumentsThrowNullPointerException() {
        try (Nibble store = small()) {
            byte[] k = {1};
            MemorySegment s = MemorySegment.ofArray(k);
            assertThrows(NullPointerException.class, () -> store.put((byte[]) null, k));
            assertThrows(NullPointerException.class, () -> store.put(k, (byte[]) null));
            assertThrows(NullPointerException.class, () -> store.get((byte[]) null));
            assertThrows(NullPointerException.class, () -> store.delete((byte[]) null));
            assertThrows(NullPointerException.class, () -> store.contains((byte[]) null));
            assertThrows(NullPointerException.class, () -> store.put((MemorySegment) null, s));
            assertThrows(NullPointerException.class, () -> store.put(s, (MemorySegment) null));
            assertThrows(NullPointerException.class, () -> store.get((MemorySegment) null, s));
            assertThrows(NullPointerException.class, () -> store.get((byte[]) null, s));
            assertThrows(NullPointerException.class, () -> store.get(k, (MemorySegment) null));
            assertThrows(NullPointerException.class, () -> store.get(s, null));
            assertThrows(NullPointerException.class, () -> store.delete((MemorySegment) null));
            assertThrows(NullPointerException.class, () -> store.contains((MemorySegment) null));
            assertThrows(NullPointerException.class, () -> Nibble.builder().updateMode(null));
            assertEquals(0, store.size());
        }
    }

    @Test
    void oversizedKeysAndValuesAreRejectedAndChangeNothing() {
        try (Nibble store = small()) {
            byte[] key = TestValues.key(7);
            store.put(key, new byte[] {42});
            byte[] hugeKey = new byte[Nibble.MAX_KEY_LENGTH + 1];
            assertThrows(IllegalArgumentException.class, () -> store.put(hugeKey, new byte[1]));
            assertThrows(IllegalArgumentException.class, () -> store.get(hugeKey));
            assertThrows(IllegalArgumentException.class, () -> store.delete(hugeKey));
            byte[] tooBig = new byte[(int) store.maxValueLength() + 1];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.put(key, tooBig));
            assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
            assertArrayEquals(new byte[] {42}, store.get(key), "a rejected put must leave the old value");
            assertEquals(1, store.size());
            byte[] maxKey = new byte[Nibble.MAX_KEY_LENGTH];
            store.put(maxKey, new byte[] {1});
            assertArrayEquals(new byte[] {1}, store.get(maxKey));
            byte[] largest = new byte[(int) store.maxValueLength()];
            largest[largest.length - 1] = 9;
            store.put(key, largest);
            assertArrayEquals(largest, store.get(key));
            store.verify();
        }
    }

    @Test
    void aShortDestinationGetsAPrefixAndTheFullLengthNeverAnOverflow() {
        try (Nibble store = small(); Arena arena = Arena.ofConfined()) {
            byte[] key = TestValues.key(3);
            byte[] value = new byte[300];
            for (int i = 0; i < value.length; i++) {
                value[i] = (byte) (i * 7);
            }
            store.put(key, value);
            MemorySegment whole = arena.allocate(400).fill((byte) -1);
            MemorySegment shortOne = whole.asSlice(0, 100);
            assertEquals(300, store.get(key, shortOne), "the full length tells the caller to retry larger");
            assertArrayEquals(Arrays.copyOf(value, 100), shortOne.toArray(ValueLayout.JAVA_BYTE));
            assertEquals(-1, whole.get(ValueLayout.JAVA_BYTE, 100), "nothing past the window");
            assertEquals(300, store.get(key, whole));
            assertArrayEquals(value, whole.asSlice(0, 300).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(-1, store.get(TestValues.key(4), whole), "absent");
        }
    }

    @Test
    void badBuilderArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().capacity(-1));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().capacity(0));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().blockSize(3000));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().blockSize(1024));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().blockSize(1 << 30));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().segmentSize(-5));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().nodes(0));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().compactionThreads(0));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().headsPerNode(0));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().fullTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> Nibble.builder().capacity(1 << 20).build(),
                "too small for 64 blocks");
        assertThrows(IllegalArgumentException.class,
                () -> Nibble.builder().capacity(64L << 20).segmentSize(100_000).build(), "not a block multiple");
        assertThrows(IllegalArgumentException.class,
                () -> Nibble.builder().capacity(64L << 20).segmentSize(32 << 20).build(), "over capacity/8");
    }

    @Test
    void aFullStoreThrowsNibbleFullExceptionPromptlyAndKeepsItsData() {
        try (Nibble store = Nibble.builder().capacity(16L << 20).fullTimeout(Duration.ofSeconds(30)).build()) {
            byte[] value = new byte[4000];
            int stored = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                for (int i = 0; ; i++) {
                    try {
                        store.put(TestValues.key(i), value);
                    } catch (NibbleFullException e) {
                        return i;
                    }
                }
            }, "a put at full memory must throw, never hang");
            assertTrue(stored > 3000, "a 16 MiB store should take thousands of 4 KB values: " + stored);
            assertEquals(stored, store.size());
            long before = System.nanoTime();
            assertThrows(NibbleFullException.class, () -> store.put(TestValues.key(-1), value));
            assertTrue(System.nanoTime() - before < Duration.ofSeconds(5).toNanos(),
                    "once compaction has nothing to free the put fails fast");
            assertFalse(store.contains(TestValues.key(-1)));
            assertEquals(stored, store.size());
            assertTrue(store.stats().fullRejections() >= 2);
            // Deleting makes room again.
            for (int i = 0; i < 100; i++) {
                assertTrue(store.delete(TestValues.key(i)));
            }
            assertDoesNotThrow(() -> store.put(TestValues.key(-1), value));
            store.verify();
        }
    }

    @Test
    void everyCallAfterCloseThrowsIllegalStateException() {
        Nibble store = small();
        byte[] k = {1};
        MemorySegment s = MemorySegment.ofArray(k);
        store.put(k, k);
        store.close();
        store.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> store.put(k, k));
        assertThrows(IllegalStateException.class, () -> store.get(k));
        assertThrows(IllegalStateException.class, () -> store.delete(k));
        assertThrows(IllegalStateException.class, () -> store.contains(k));
        assertThrows(IllegalStateException.class, store::size);
        assertThrows(IllegalStateException.class, store::stats);
        assertThrows(IllegalStateException.class, store::verify);
        assertThrows(IllegalStateException.class, () -> store.put(s, s));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment into = arena.allocate(8);
            assertThrows(IllegalStateException.class, () -> store.get(s, into));
        }
    }
}
