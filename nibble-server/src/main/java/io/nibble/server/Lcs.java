package io.nibble.server;

import java.util.ArrayList;
import java.util.List;

/**
 * LCS: the longest common subsequence of two strings by Redis's dynamic program, walked back from the end the way
 * Redis walks it, so that ties pick the same subsequence and matches come out in the same order.
 */
final class Lcs {
    /** One run of matching bytes: inclusive ranges in each string. */
    record Match(int aStart, int aEnd, int bStart, int bEnd) {
        int length() {
            return aEnd - aStart + 1;
        }
    }

    /** The subsequence, and the runs that make it up from last to first. */
    record Result(byte[] common, List<Match> matches) { }

    private Lcs() {
    }

    /** Bytes of table the computation needs; Redis refuses more than proto-max-bulk-len. */
    static long tableBytes(int aLength, int bLength) {
        return (aLength + 1L) * (bLength + 1L) * Integer.BYTES;
    }

    static Result compute(byte[] a, byte[] b) {
        int rows = a.length + 1;
        int cols = b.length + 1;
        // table[i * cols + j]: the LCS length of a[0, i) and b[0, j).
        int[] table = new int[Math.multiplyExact(rows, cols)];
        for (int i = 1; i < rows; i++) {
            for (int j = 1; j < cols; j++) {
                table[i * cols + j] = a[i - 1] == b[j - 1] ? table[(i - 1) * cols + j - 1] + 1
                        : Math.max(table[(i - 1) * cols + j], table[i * cols + j - 1]);
            }
        }
        int length = table[rows * cols - 1];
        byte[] common = new byte[length];
        List<Match> matches = new ArrayList<>();
        int idx = length;
        int i = a.length;
        int j = b.length;
        int aStart = a.length; // a.length: no run open
        int aEnd = 0;
        int bStart = 0;
        int bEnd = 0;
        while (i > 0 && j > 0) {
            boolean emit = false;
            if (a[i - 1] == b[j - 1]) {
                common[idx - 1] = a[i - 1];
                if (aStart == a.length) {
                    aStart = i - 1;
                    aEnd = i - 1;
                    bStart = j - 1;
                    bEnd = j - 1;
                } else if (aStart == i && bStart == j) {
                    aStart--;
                    bStart--;
                } else {
                    emit = true;
                }
                if (aStart == 0 || bStart == 0) {
                    emit = true;
                }
                idx--;
                i--;
                j--;
            } else {
                if (table[(i - 1) * cols + j] > table[i * cols + j - 1]) {
                    i--;
                } else {
                    j--;
                }
                if (aStart != a.length) {
                    emit = true;
                }
            }
            if (emit) {
                matches.add(new Match(aStart, aEnd, bStart, bEnd));
                aStart = a.length;
            }
        }
        return new Result(common, matches);
    }
}
