package io.nibble.server;

/** Redis glob patterns ({@code KEYS}, {@code SCAN MATCH}, {@code CONFIG GET}): {@code * ? [abc] [^a-z] \x}. */
final class Glob {
    private Glob() { }

    /**
     * Iterative matching: on a mismatch it backtracks only to the most recent {@code *}, so the work is bounded by
     * pattern length times text length whatever the pattern (no exponential backtracking).
     */
    static boolean matches(byte[] p, byte[] s) {
        int pi = 0;
        int si = 0;
        int starP = -1;
        int starS = -1;
        while (si < s.length) {
            if (pi < p.length && p[pi] == '*') {
                while (pi < p.length && p[pi] == '*') {
                    pi++;
                }
                if (pi == p.length) {
                    return true;
                }
                starP = pi;
                starS = si;
                continue;
            }
            int next = pi < p.length ? matchOne(p, pi, s[si]) : -1;
            if (next >= 0) {
                pi = next;
                si++;
            } else if (starP >= 0) {
                pi = starP;
                si = ++starS;
            } else {
                return false;
            }
        }
        while (pi < p.length && p[pi] == '*') {
            pi++;
        }
        return pi == p.length;
    }

    /** Matches one pattern element at {@code pi} against {@code c}: the index after it, or -1. */
    private static int matchOne(byte[] p, int pi, byte c) {
        byte t = p[pi];
        if (t == '?') {
            return pi + 1;
        }
        if (t == '\\' && pi + 1 < p.length) {
            return p[pi + 1] == c ? pi + 2 : -1;
        }
        if (t != '[') {
            return t == c ? pi + 1 : -1;
        }
        int i = pi + 1;
        boolean negate = i < p.length && p[i] == '^';
        if (negate) {
            i++;
        }
        boolean found = false;
        int x = c & 0xFF;
        while (i < p.length && p[i] != ']') {
            if (p[i] == '\\' && i + 1 < p.length) {
                i++;
                found |= p[i] == c;
            } else if (i + 2 < p.length && p[i + 1] == '-' && p[i + 2] != ']') {
                int lo = Math.min(p[i] & 0xFF, p[i + 2] & 0xFF);
                int hi = Math.max(p[i] & 0xFF, p[i + 2] & 0xFF);
                found |= x >= lo && x <= hi;
                i += 2;
            } else {
                found |= p[i] == c;
            }
            i++;
        }
        if (found == negate) {
            return -1;
        }
        return Math.min(i + 1, p.length);
    }
}
