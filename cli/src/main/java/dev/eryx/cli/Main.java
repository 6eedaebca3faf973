package dev.eryx.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Entry point of the runnable jar. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // Guest text is UTF-8 whatever the host locale, as in CPython's UTF-8 mode.
        PrintWriter out =
                new PrintWriter(
                        new OutputStreamWriter(
                                new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8));
        PrintWriter err =
                new PrintWriter(
                        new OutputStreamWriter(
                                new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8));
        int exitCode =
                EryxCommand.commandLine(System.in, Terminals::stdinIsTerminal, out, err)
                        .execute(args);
        out.flush();
        err.flush();
        System.exit(exitCode);
    }
}
