package dev.eryx.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;

/** Entry point of the runnable jar. */
public final class Main {
    /**
     * The library logs through {@link System.Logger} what the CLI reports itself (a stopped
     * execution's undelivered output, say): only its errors reach the terminal, unless ERYX_DEBUG
     * is set. Held here because java.util.logging keeps loggers only weakly.
     */
    private static final Logger LIBRARY_LOG = Logger.getLogger("dev.eryx");

    private static final String SLF4J_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private Main() {}

    public static void main(String[] args) {
        if (System.getenv("ERYX_DEBUG") == null) {
            LIBRARY_LOG.setLevel(Level.SEVERE);
        } else if (System.getProperty(SLF4J_LEVEL) == null) {
            // What the MCP SDK and Jetty log (to stderr; simplelogger.properties says warn).
            System.setProperty(SLF4J_LEVEL, "debug");
        }
        // Buffered, but every write of guest output is flushed at once (ProcessOutput).
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out));
        OutputStream err = new BufferedOutputStream(new FileOutputStream(FileDescriptor.err));
        CommandLine commandLine =
                EryxCommand.commandLine(
                        System.in,
                        Terminals::stdinIsTerminal,
                        out,
                        err,
                        System::getenv,
                        EryxCommand.startsWithSubcommand(args));
        int exitCode = commandLine.execute(args);
        ((EryxCommand) commandLine.getCommand()).flushOutputs();
        System.exit(exitCode);
    }
}
