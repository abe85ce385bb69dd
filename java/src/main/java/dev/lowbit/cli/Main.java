package dev.lowbit.cli;

import dev.lowbit.Lowbit;
import dev.lowbit.LowbitException;

import java.io.PrintStream;

/**
 * The {@code lowbit} command line: {@code embed} (texts to embeddings), {@code serve} (an
 * OpenAI-compatible embeddings endpoint), {@code info} (version, CPU features, CUDA devices).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the process exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.in, out, err);
    }

    /** {@link #run(String[], PrintStream, PrintStream)} reading standard input from {@code in}. */
    public static int run(String[] args, java.io.InputStream in, PrintStream out, PrintStream err) {
        String command = args.length == 0 ? "help" : args[0];
        try {
            switch (command) {
                case "embed" -> {
                    return EmbedCommand.run(args, in, out, err);
                }
                case "serve" -> {
                    return ServeCommand.run(args, out, err);
                }
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
        } catch (Options.UsageException e) {
            err.println("lowbit: " + e.getMessage());
            err.print(command.equals("embed") ? EmbedCommand.usage() : ServeCommand.usage());
            return 2;
        } catch (LowbitException | IllegalArgumentException | IllegalStateException | java.io.IOException
                 | java.io.UncheckedIOException e) {
            err.println("lowbit: " + e.getMessage());
            return 1;
        }
    }

    static String usage() {
        return """
                usage: lowbit <command>
                  embed     texts to sentence embeddings (all-MiniLM-L6-v2 on lowbit kernels); embed --help
                  serve     an OpenAI-compatible POST /v1/embeddings endpoint; serve --help
                  info      version, build, CPU features and kernel variant, CUDA devices
                  version   the library version
                  help      this text
                """;
    }
}
