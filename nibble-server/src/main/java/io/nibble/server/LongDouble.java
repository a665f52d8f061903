package io.nibble.server;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/**
 * INCRBYFLOAT's arithmetic as Redis does it on x86-64: operands read with {@code strtold} into an 80-bit long
 * double (a 64-bit significand), summed in that precision, and printed with {@code "%.17Lf"} less trailing zeros.
 * A double would print the same for small decimals but not for large or long operands, where Redis keeps about
 * 19 significant digits. Values are held exactly as {@link BigDecimal}s: a long double is a dyadic rational, so
 * every rounding step here is exact arithmetic followed by one explicit round-half-even to 64 bits.
 */
final class LongDouble {
    /** Significand bits of the x87 extended format, explicit leading bit included. */
    private static final int SIGNIFICAND_BITS = 64;
    /** Exponents of the least significant significand bit: subnormals bottom out at 2^-16445, the maximum is below 2^16384. */
    private static final int MIN_LSB_EXPONENT = -16445;
    private static final int MAX_LSB_EXPONENT = 16383 - (SIGNIFICAND_BITS - 1);
    /** Redis refuses longer operands (MAX_LONG_DOUBLE_CHARS). */
    private static final int MAX_CHARS = 5 * 1024;
    private static final BigDecimal LOG10_2 = new BigDecimal("0.30102999566398119521");

    /** An operand or a result: a finite exact value, or an infinity (never NaN: Redis refuses those). */
    record Value(BigDecimal exact, int infinity) {
        boolean isInfinite() {
            return infinity != 0;
        }
    }

    private LongDouble() {
    }

    /**
     * Reads a value as Redis's {@code string2ld} does: {@code strtold}'s grammar (decimal, hexadecimal with a binary
     * exponent, inf and infinity) with no surrounding spaces and nothing after the number; NaN, overflow and an
     * underflow to zero are refused.
     *
     * @return the value, or null when Redis would answer "value is not a valid float"
     */
    static Value parse(byte[] raw) {
        if (raw.length == 0 || raw.length >= MAX_CHARS) {
            return null;
        }
        for (byte b : raw) {
            if (b == 0) { // strtold would stop at it, short of the whole string: Redis refuses that
                return null;
            }
        }
        String s = new String(raw, StandardCharsets.ISO_8859_1);
        int i = 0;
        int sign = 1;
        if (s.charAt(0) == '+' || s.charAt(0) == '-') {
            sign = s.charAt(0) == '-' ? -1 : 1;
            i = 1;
        }
        String rest = s.substring(i);
        if (rest.equalsIgnoreCase("inf") || rest.equalsIgnoreCase("infinity")) {
            return new Value(BigDecimal.ZERO, sign);
        }
        BigDecimal exact = rest.length() > 1 && rest.charAt(0) == '0' && (rest.charAt(1) | 0x20) == 'x'
                ? parseHex(rest.substring(2)) : parseDecimal(rest);
        if (exact == null) {
            return null;
        }
        Value v = round(sign < 0 ? exact.negate() : exact);
        if (v.isInfinite() || (v.exact().signum() == 0 && exact.signum() != 0)) {
            return null; // ERANGE: overflow, or an underflow all the way to zero
        }
        return v;
    }

    /** a + b rounded to a long double; an infinity when it overflows or either operand is one (NaN included). */
    static Value add(Value a, Value b) {
        if (a.isInfinite() || b.isInfinite()) {
            return new Value(BigDecimal.ZERO, a.isInfinite() ? a.infinity() : b.infinity());
        }
        return round(a.exact().add(b.exact()));
    }

    /** {@code "%.17Lf"} without trailing zeros (nor a trailing point), and "-0" as "0". */
    static String format(Value v) {
        String text = v.exact().setScale(17, RoundingMode.HALF_EVEN).toPlainString();
        int end = text.length();
        while (text.charAt(end - 1) == '0') {
            end--;
        }
        if (text.charAt(end - 1) == '.') {
            end--;
        }
        text = text.substring(0, end);
        return text.equals("-0") ? "0" : text;
    }

    /** Digits, an optional point, at least one digit in all, then an optional exponent with at least one digit. */
    private static BigDecimal parseDecimal(String s) {
        int i = 0;
        int digits = 0;
        while (i < s.length() && isAsciiDigit(s.charAt(i))) {
            i++;
            digits++;
        }
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            while (i < s.length() && isAsciiDigit(s.charAt(i))) {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return null;
        }
        String mantissa = s.substring(0, i);
        long exponent = exponentToEnd(s, i, 'e');
        if (exponent == NO_EXPONENT) {
            return null;
        }
        BigDecimal m = new BigDecimal(mantissa.endsWith(".") ? mantissa + "0" : mantissa.startsWith(".")
                ? "0" + mantissa : mantissa);
        return scaleByPowerOfTen(m, exponent);
    }

    /** Hex digits with an optional point, then an optional binary exponent "p[+-]digits". */
    private static BigDecimal parseHex(String s) {
        int i = 0;
        BigInteger mantissa = BigInteger.ZERO;
        int fractionDigits = 0;
        int digits = 0;
        boolean point = false;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.' && !point) {
                point = true;
                continue;
            }
            int d = Character.digit(c, 16);
            if (d < 0 || c >= 128) {
                break;
            }
            mantissa = mantissa.shiftLeft(4).add(BigInteger.valueOf(d));
            digits++;
            if (point) {
                fractionDigits++;
            }
        }
        if (digits == 0) {
            return null; // "0x" alone: strtold reads the 0 and stops at the 'x'
        }
        long exponent = exponentToEnd(s, i, 'p');
        if (exponent == NO_EXPONENT) {
            return null;
        }
        long binaryExponent = exponent - 4L * fractionDigits;
        if (mantissa.signum() == 0) {
            return BigDecimal.ZERO;
        }
        if (binaryExponent > 20_000 || binaryExponent + mantissa.bitLength() < -20_000) {
            // Far outside the format: overflow or underflow to zero either way, without building the number.
            return binaryExponent > 0 ? BigDecimal.TEN.pow(6000) : BigDecimal.ONE.movePointLeft(6000);
        }
        return times2(new BigDecimal(mantissa), (int) binaryExponent);
    }

    /** What {@link #exponentToEnd} answers when the rest of the string is not an exponent. */
    private static final long NO_EXPONENT = Long.MIN_VALUE;

    /**
     * The exponent that must make up the rest of {@code s} from {@code i}: nothing (0), or the marker ('e' or 'p', any
     * case), an optional sign and at least one digit; its magnitude is capped far beyond the format's range.
     */
    private static long exponentToEnd(String s, int i, char marker) {
        if (i == s.length()) {
            return 0;
        }
        if ((s.charAt(i) | 0x20) != marker) {
            return NO_EXPONENT; // strtold stops here: trailing characters
        }
        int j = i + 1;
        boolean negative = false;
        if (j < s.length() && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
            negative = s.charAt(j) == '-';
            j++;
        }
        int start = j;
        long exponent = 0;
        while (j < s.length() && isAsciiDigit(s.charAt(j))) {
            exponent = Math.min(exponent * 10 + (s.charAt(j) - '0'), 1_000_000_000L);
            j++;
        }
        if (j == start || j != s.length()) {
            return NO_EXPONENT; // "1e" stops strtold before the 'e'; anything after the digits trails
        }
        return negative ? -exponent : exponent;
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** m × 10^exponent, kept finite for exponents far beyond the format (they over- or underflow anyway). */
    private static BigDecimal scaleByPowerOfTen(BigDecimal m, long exponent) {
        if (m.signum() == 0) {
            return BigDecimal.ZERO;
        }
        long magnitude = m.precision() - (long) m.scale() + exponent; // decimal digits before the point
        if (magnitude > 6000) {
            return BigDecimal.TEN.pow(6000);
        }
        if (magnitude < -6000) {
            return BigDecimal.ONE.movePointLeft(6000);
        }
        return m.scaleByPowerOfTen((int) exponent);
    }

    /** Rounds an exact value to the nearest long double, ties to even; an infinity past the largest one. */
    private static Value round(BigDecimal x) {
        if (x.signum() == 0) {
            return new Value(BigDecimal.ZERO, 0);
        }
        BigDecimal abs = x.abs();
        // The exponent e with 2^e <= |x| < 2^(e+1): estimated from the decimal magnitude, then corrected exactly.
        long magnitude = abs.precision() - (long) abs.scale() - 1; // 10^magnitude <= |x| < 10^(magnitude+1)
        long e = BigDecimal.valueOf(magnitude).divide(LOG10_2, 0, RoundingMode.FLOOR).longValueExact();
        if (e > MAX_LSB_EXPONENT + SIGNIFICAND_BITS + 8) {
            return new Value(BigDecimal.ZERO, x.signum());
        }
        if (e < MIN_LSB_EXPONENT - 8) {
            return new Value(BigDecimal.ZERO, 0);
        }
        while (abs.compareTo(times2(BigDecimal.ONE, (int) e)) < 0) {
            e--;
        }
        while (abs.compareTo(times2(BigDecimal.ONE, (int) e + 1)) >= 0) {
            e++;
        }
        long lsb = Math.max(e - (SIGNIFICAND_BITS - 1), MIN_LSB_EXPONENT);
        BigInteger significand = times2(abs, (int) -lsb).setScale(0, RoundingMode.HALF_EVEN).toBigIntegerExact();
        if (significand.bitLength() > SIGNIFICAND_BITS) { // rounding carried into a new bit
            significand = significand.shiftRight(1);
            lsb++;
        }
        if (lsb > MAX_LSB_EXPONENT) {
            return new Value(BigDecimal.ZERO, x.signum());
        }
        BigDecimal rounded = times2(new BigDecimal(significand), (int) lsb);
        return new Value(x.signum() < 0 ? rounded.negate() : rounded, 0);
    }

    /** x × 2^n, exactly. */
    private static BigDecimal times2(BigDecimal x, int n) {
        if (n >= 0) {
            return x.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(n)));
        }
        // 2^-n = 5^n / 10^n
        return x.multiply(new BigDecimal(BigInteger.valueOf(5).pow(-n), -n));
    }
}
