package dev.eryx.cli;

import dev.eryx.EryxException;
import dev.eryx.ExecutionCancelledException;
import dev.eryx.ExecutionHandle;
import dev.eryx.ExecutionResult;
import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The interactive interpreter: one sandbox for the whole session (globals persist), JLine for line
 * editing and history ({@code ~/.eryx_history}), CPython's rules for multi-line input, and
 * expression statements echoed through {@code sys.displayhook}. Ctrl-C cancels the running
 * statement (or discards the input being typed), Ctrl-D exits.
 */
final class Repl {
    private final Supplier<Sandbox> sandboxes;
    private final PrintWriter out;
    private final PrintWriter err;

    /** Set when an input raised SystemExit: the session's exit status. */
    private Integer exitStatus;

    Repl(Supplier<Sandbox> sandboxes, PrintWriter out, PrintWriter err) {
        this.sandboxes = sandboxes;
        this.out = out;
        this.err = err;
    }

    /** Runs on the process's terminal. */
    int run() {
        try (Terminal terminal = TerminalBuilder.builder().system(true).name("eryx").build()) {
            return run(terminal, historyFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the terminal", e);
        }
    }

    /** Runs on {@code terminal}; {@code history} may be null for none. Returns the exit code. */
    int run(Terminal terminal, Path history) {
        LineReaderBuilder readerBuilder =
                LineReaderBuilder.builder()
                        .terminal(terminal)
                        .appName("eryx")
                        .option(
                                LineReader.Option.DISABLE_EVENT_EXPANSION,
                                true) // '!' is Python, not history
                        .option(LineReader.Option.INSERT_TAB, true); // Tab indents
        if (history != null) {
            readerBuilder.variable(LineReader.HISTORY_FILE, history);
        }
        LineReader reader = readerBuilder.build();

        Sandbox sandbox = sandboxes.get();
        try {
            out.println(
                    "eryx "
                            + VersionProvider.eryxVersion()
                            + " (Python "
                            + pythonVersion(sandbox)
                            + ", sandboxed)");
            out.println("Ctrl-D exits, Ctrl-C cancels the running statement.");
            out.flush();
            List<String> lines = new ArrayList<>();
            while (true) {
                String line;
                try {
                    line = reader.readLine(lines.isEmpty() ? ">>> " : "... ");
                } catch (UserInterruptException e) {
                    err.println("KeyboardInterrupt");
                    err.flush();
                    lines.clear();
                    continue;
                } catch (EndOfFileException e) {
                    break;
                }
                lines.add(line);
                if (!ReplInput.isComplete(lines)) {
                    continue;
                }
                String source = String.join("\n", lines);
                lines.clear();
                if (!source.isBlank()) {
                    sandbox = execute(sandbox, source, terminal);
                    if (exitStatus != null) {
                        return exitStatus; // exit(), quit() or sys.exit() ends the session
                    }
                }
            }
        } finally {
            sandbox.close();
        }
        return ExitCodes.SUCCESS;
    }

    /** Runs one input; returns the sandbox to continue with (a fresh one if this one broke). */
    private Sandbox execute(Sandbox sandbox, String source, Terminal terminal) {
        String code = isExpression(sandbox, source) ? PythonSource.display(source) : source + "\n";
        ExecutionHandle handle = sandbox.executeAsync(code);
        Terminal.SignalHandler previous =
                terminal.handle(Terminal.Signal.INT, signal -> handle.cancel());
        try {
            ExecutionResult result = handle.get();
            if (result.exited()) {
                exitStatus = result.exitCode();
            }
        } catch (PythonException e) {
            err.print(e.traceback());
        } catch (ExecutionCancelledException e) {
            err.println("KeyboardInterrupt");
        } catch (EryxException e) {
            err.println("eryx: " + e.getMessage());
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
            out.flush();
            err.flush();
        }
        if (sandbox.isUsable()) {
            return sandbox;
        }
        sandbox.close();
        err.println("eryx: the interpreter had to be restarted; earlier definitions are gone.");
        err.flush();
        return sandboxes.get();
    }

    /** Asks the guest's own parser, so the answer is exactly CPython's. */
    private static boolean isExpression(Sandbox sandbox, String source) {
        try {
            ExecutionResult r = sandbox.execute(PythonSource.isExpression(source));
            return r.result() != null && r.result().asBoolean();
        } catch (EryxException e) {
            return false;
        }
    }

    private static String pythonVersion(Sandbox sandbox) {
        try {
            sandbox.execute(PythonSource.setArgv(List.of("")));
            ExecutionResult r = sandbox.execute("result = __import__('sys').version.split()[0]");
            return r.result() == null ? "3.14" : r.result().asText();
        } catch (EryxException e) {
            return "3.14";
        }
    }

    private static Path historyFile() {
        String home = System.getProperty("user.home");
        return home == null || home.isEmpty() ? null : Path.of(home, ".eryx_history");
    }
}
