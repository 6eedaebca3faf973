package dev.eryx.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Runs the command in-process with redirected streams, as {@code Main} would. */
final class CliRun {
    final int exitCode;
    final String out;
    final String err;

    /** Stdout byte for byte. */
    final byte[] outBytes;

    private CliRun(int exitCode, byte[] out, byte[] err) {
        this.exitCode = exitCode;
        this.out = new String(out, StandardCharsets.UTF_8);
        this.err = new String(err, StandardCharsets.UTF_8);
        this.outBytes = out;
    }

    static CliRun of(int exitCode, byte[] out, byte[] err) {
        return new CliRun(exitCode, out, err);
    }

    static CliRun run(String... args) {
        return withStdin("", false, args);
    }

    static CliRun withStdin(String stdin, boolean stdinIsTerminal, String... args) {
        return withStdin(stdin.getBytes(StandardCharsets.UTF_8), stdinIsTerminal, args);
    }

    static CliRun withStdin(byte[] stdin, boolean stdinIsTerminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // As Main builds it: the subcommands only when the first argument names one.
        picocli.CommandLine commandLine =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(stdin),
                        () -> stdinIsTerminal,
                        out,
                        err,
                        System::getenv,
                        EryxCommand.startsWithSubcommand(args));
        int code = commandLine.execute(args);
        commandLine.getOut().flush();
        commandLine.getErr().flush();
        return new CliRun(code, out.toByteArray(), err.toByteArray());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
    }
}
