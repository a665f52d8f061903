package io.nibble.server;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlobTest {
    private static boolean m(String pattern, String text) {
        return Glob.matches(pattern.getBytes(StandardCharsets.UTF_8), text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void matchesLikeRedis() {
        assertTrue(m("*", ""));
        assertTrue(m("user:*", "user:42"));
        assertFalse(m("user:*", "users:42"));
        assertTrue(m("h?llo", "hello"));
        assertFalse(m("h?llo", "hllo"));
        assertTrue(m("h[ae]llo", "hallo"));
        assertFalse(m("h[^e]llo", "hello"));
        assertTrue(m("h[a-c]llo", "hbllo"));
        assertTrue(m("a\\*b", "a*b"));
        assertFalse(m("a\\*b", "axb"));
        assertTrue(m("*a*b*c*", "xxaxxbxxcxx"));
        assertFalse(m("*a*b*c*", "xxaxxcxxbxx"));
        assertTrue(m("a*", "a"));
        assertTrue(m("**", "anything"));
        assertFalse(m("a?", "a"));
    }

    /** Patterns that made recursive matchers backtrack exponentially finish at once. */
    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.Timeout(5)
    void pathologicalPatternsStayLinear() {
        String text = "a".repeat(5000);
        assertFalse(m("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
        assertTrue(m("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*", text));
    }
}
