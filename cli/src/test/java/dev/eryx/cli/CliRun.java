package dev.eryx.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs the command in-process with redirected streams, as {@code Main} would. */
final class CliRun {
    final int exitCode;
    final String out;
    final String err;

    private CliRun(int exitCode, String out, String err) {
        this.exitCode = exitCode;
        this.out = out;
        this.err = err;
    }

    static CliRun run(String... args) {
        return withStdin("", false, args);
    }

    static CliRun withStdin(String stdin, boolean stdinIsTerminal, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code =
                EryxCommand.commandLine(
                                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                                () -> stdinIsTerminal,
                                new PrintWriter(out, true),
                                new PrintWriter(err, true))
                        .execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
    }
}
