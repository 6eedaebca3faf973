package dev.eryx.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import picocli.CommandLine;

/** Entry point of the runnable jar. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // Buffered, but every write of guest output is flushed at once (ProcessOutput).
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out));
        OutputStream err = new BufferedOutputStream(new FileOutputStream(FileDescriptor.err));
        CommandLine commandLine =
                EryxCommand.commandLine(System.in, Terminals::stdinIsTerminal, out, err);
        int exitCode = commandLine.execute(args);
        ((EryxCommand) commandLine.getCommand()).flushOutputs();
        System.exit(exitCode);
    }
}
