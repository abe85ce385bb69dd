package dev.lowbit.cli;

import dev.lowbit.Lowbit;
import dev.lowbit.LowbitException;

import java.io.PrintStream;

/**
 * The {@code lowbit} command line. Commands: {@code info} (version, CPU features, CUDA devices).
 * {@code embed} and {@code serve} arrive with the model runtime.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the process exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        String command = args.length == 0 ? "help" : args[0];
        try {
            switch (command) {
                case "info" -> {
                    out.print(Lowbit.info());
                    return 0;
                }
                case "help", "-h", "--help" -> {
                    out.print(usage());
                    return 0;
                }
                case "version", "--version" -> {
                    out.println("lowbit " + Lowbit.version());
                    return 0;
                }
                default -> {
                    err.println("lowbit: unknown command '" + command + "'");
                    err.print(usage());
                    return 2;
                }
            }
        } catch (LowbitException e) {
            err.println("lowbit: " + e.getMessage());
            return 1;
        }
    }

    static String usage() {
        return """
                usage: lowbit <command>
                  info      version, build, CPU features and kernel variant, CUDA devices
                  version   the library version
                  help      this text
                """;
    }
}
