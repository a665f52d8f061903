package io.nibble.server;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/** Parsing and quoting of command arguments, with Redis's exact rules and error messages. */
final class Arguments {
    private Arguments() {
    }

    static CommandError wrongArity(byte[][] a) {
        return new CommandError("ERR wrong number of arguments for '" + text(a[0]).toLowerCase(Locale.ROOT)
                + "' command");
    }

    static String unknown(byte[][] a) {
        StringBuilder b = new StringBuilder("ERR unknown command '").append(printable(text(a[0])))
                .append("', with args beginning with: ");
        for (int i = 1; i < a.length && i < 8; i++) {
            b.append('\'').append(printable(text(a[i]))).append("' ");
        }
        return b.toString();
    }

    static String printable(String s) {
        String t = s.length() > 128 ? s.substring(0, 128) : s;
        return t.replaceAll("[\\p{Cntrl}]", "?");
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static long parseLong(byte[] b) {
        return parseLong(b, "ERR value is not an integer or out of range");
    }

    /** Redis's strict integer syntax: no sign but '-', no leading zeros, no spaces. */
    static long parseLong(byte[] b, String error) {
        if (b.length == 0 || b.length > 20 || b[0] == '+' || (b[0] == '0' && b.length > 1)
                || (b[0] == '-' && (b.length == 1 || b[1] == '0'))) {
            throw new CommandError(error);
        }
        try {
            return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new CommandError(error);
        }
    }

    static long parseStoredLong(byte[] b) {
        if (b.length > 0 && (b[0] == '+' || (b[0] == '0' && b.length > 1) || b[0] == ' ')) {
            throw new CommandError("ERR value is not an integer or out of range");
        }
        return parseLong(b);
    }

    static long parseUnsigned(byte[] b) {
        try {
            return Long.parseUnsignedLong(new String(b, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            throw new CommandError("ERR invalid cursor");
        }
    }

    /**
     * An expiry argument of SET or GETEX as an absolute time in ms, checked as Redis checks it: positive, and
     * neither the unit conversion nor adding the current time may overflow.
     */
    static long expireTime(byte[] argument, String unit, String command) {
        long n = parseLong(argument);
        boolean seconds = unit.equals("EX") || unit.equals("EXAT");
        if (n <= 0 || (seconds && n > Long.MAX_VALUE / 1000)) {
            throw new CommandError("ERR invalid expire time in '" + command + "' command");
        }
        long millis = seconds ? n * 1000 : n;
        if (unit.equals("EX") || unit.equals("PX")) {
            if (millis > Long.MAX_VALUE - System.currentTimeMillis()) {
                throw new CommandError("ERR invalid expire time in '" + command + "' command");
            }
            millis += System.currentTimeMillis();
        }
        return millis;
    }

    /** An expiry in milliseconds from one in {@code factor} units, refused as Redis does when it overflows. */
    static long multiply(long n, long factor, String command) {
        try {
            return Math.multiplyExact(n, factor);
        } catch (ArithmeticException e) {
            throw new CommandError("ERR invalid expire time in '" + command + "' command");
        }
    }

    static long deadline(long millisFromNow, String command) {
        try {
            return Math.addExact(System.currentTimeMillis(), millisFromNow);
        } catch (ArithmeticException e) {
            throw new CommandError("ERR invalid expire time in '" + command + "' command");
        }
    }

    static final byte[] REDACTED = "(redacted)".getBytes(StandardCharsets.US_ASCII);

    /**
     * The arguments as MONITOR and the slow log show them: AUTH's, and the user name and password of HELLO's AUTH
     * option, replaced by "(redacted)" as Redis does. The array is copied only when something is redacted.
     */
    static byte[][] redacted(CommandTable.Command command, byte[][] args) {
        String name = command.fullName();
        if (name.equals("auth")) {
            byte[][] shown = args.clone();
            Arrays.fill(shown, 1, shown.length, REDACTED);
            return shown;
        }
        if (name.equals("hello")) {
            for (int i = 2; i < args.length; i++) {
                if (text(args[i]).equalsIgnoreCase("AUTH")) {
                    byte[][] shown = args.clone();
                    Arrays.fill(shown, i + 1, Math.min(i + 3, shown.length), REDACTED);
                    return shown;
                }
            }
        }
        return args;
    }
}
