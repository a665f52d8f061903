package io.nibble.bench;

import io.nibble.bench.cli.BreakdownCommand;
import io.nibble.bench.cli.ChurnCommand;
import io.nibble.bench.cli.FragCommand;
import io.nibble.bench.cli.SweepCommand;
import io.nibble.bench.cli.YcsbCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./nibble bench <workload> [options]}: the dissertation's experiments, with every store in its own JVM,
 * run in alternation, and results written as CSV, markdown and PNG.
 */
@Command(name = "nibble bench", mixinStandardHelpOptions = true,
        subcommands = {YcsbCommand.class, FragCommand.class, ChurnCommand.class, SweepCommand.class,
                BreakdownCommand.class},
        description = "Benchmarks Nibble against the stores a user would pick instead: nibble-inplace, "
                + "nibble-append, chm, caffeine, chronicle, ohc, mapdb, resp:HOST:PORT.")
public final class BenchCli {

    public static void main(String[] args) {
        int code = new CommandLine(new BenchCli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }
}
