package dev.eryx.cli;

import dev.eryx.ExecutionResult;
import dev.eryx.InterpreterExitException;
import dev.eryx.PythonException;
import dev.eryx.Sandbox;
import dev.eryx.SandboxCrashedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The {@code eryx} command. Create it with {@link #commandLine}; {@code execute} returns the exit
 * code.
 */
@Command(
        name = "eryx",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        customSynopsis = {
            "eryx [OPTIONS] -c CODE [ARG...]",
            "       eryx [OPTIONS] SCRIPT [ARG...]",
            "       eryx [OPTIONS] - [ARG...]      (program read from stdin)",
            "       eryx [OPTIONS]                 (REPL if stdin is a terminal)",
            "       eryx mcp [OPTIONS]             (MCP server on stdin/stdout)",
            "       eryx serve [OPTIONS]           (execution server over HTTP)",
        },
        description = {
            "",
            "Runs untrusted Python in a sandbox: CPython 3.14 compiled to WebAssembly, executed on the JVM.",
            "The code sees only the directories mounted with -v and the variables given with --env;",
            "it imports the standard library and the packages given with --package/--packages.",
            "Options must come before SCRIPT; everything after it is passed to the script in sys.argv.",
            "'eryx mcp --help' and 'eryx serve --help' describe the subcommands, which take the same",
            "sandbox options (after their name). A script named mcp or serve runs as ./mcp or -- mcp.",
            "",
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success; sys.exit(n), exit(n) or os._exit(n) in the code exits with n.",
            "1:Uncaught Python exception (traceback on stderr).",
            "2:Usage error.",
            "3:Fuel exhausted (--fuel).",
            "4:Memory limit reached (--max-memory), also an uncaught MemoryError.",
            "5:Output limit reached (--max-output).",
            "70:Internal error: the sandbox crashed, or a host failure (also a --commit refused because the host changed the files).",
            "124:Timed out (--timeout).",
            "130:Interrupted or cancelled, also an uncaught KeyboardInterrupt.",
        })
public final class EryxCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "-c", paramLabel = "CODE", description = "Program passed in as a string.")
    String code;

    @Parameters(
            index = "0",
            arity = "0..1",
            paramLabel = "SCRIPT",
            description =
                    "Python file to run (read on the host), or - to read the program from stdin.")
    String script;

    @Parameters(
            index = "1..*",
            paramLabel = "ARG",
            description = "Arguments, passed in sys.argv[1:].")
    List<String> args = new ArrayList<>();

    /** Limits, mounts, environment, secrets, packages, network: shared with the subcommands. */
    @Mixin SandboxOptions options;

    @Option(
            names = "--commit",
            description =
                    "Apply the changes made to :staged volumes to the host directories once the"
                            + " program has run (refused, with nothing written, if the host changed"
                            + " them meanwhile).")
    boolean commit;

    @Option(
            names = "--json",
            description =
                    "Print only one JSON object at the end: stdout, stderr, result, duration (ms), stats, error, exitCode.")
    boolean json;

    private final InputStream stdin;
    private final BooleanSupplier stdinIsTerminal;

    /** The host's environment, where {@code --secret} values come from. */
    private final UnaryOperator<String> hostEnvironment;

    /** The process's stdout and stderr; {@code null} when only parsing (tests). */
    private ProcessOutput stdout;

    private ProcessOutput stderr;

    EryxCommand(InputStream stdin, BooleanSupplier stdinIsTerminal) {
        this(stdin, stdinIsTerminal, System::getenv);
    }

    EryxCommand(
            InputStream stdin,
            BooleanSupplier stdinIsTerminal,
            UnaryOperator<String> hostEnvironment) {
        this.stdin = Objects.requireNonNull(stdin, "stdin");
        this.stdinIsTerminal = Objects.requireNonNull(stdinIsTerminal, "stdinIsTerminal");
        this.hostEnvironment = Objects.requireNonNull(hostEnvironment, "hostEnvironment");
    }

    /**
     * The configured command line: options stop at the script (the rest is its arguments), and
     * every failure becomes an exit code through {@link ExitCodes#of}. The guest's output reaches
     * {@code out} and {@code err} byte for byte; the command's own text is UTF-8.
     */
    public static CommandLine commandLine(
            InputStream stdin,
            BooleanSupplier stdinIsTerminal,
            OutputStream out,
            OutputStream err) {
        return commandLine(stdin, stdinIsTerminal, out, err, System::getenv);
    }

    /** As above, reading {@code --secret} values from {@code hostEnvironment} (tests). */
    static CommandLine commandLine(
            InputStream stdin,
            BooleanSupplier stdinIsTerminal,
            OutputStream out,
            OutputStream err,
            UnaryOperator<String> hostEnvironment) {
        return commandLine(stdin, stdinIsTerminal, out, err, hostEnvironment, true);
    }

    /** The subcommands' names: {@code eryx NAME [OPTIONS]}. */
    static final List<String> SUBCOMMANDS = List.of("mcp", "serve");

    /**
     * Whether {@code args} run a subcommand: its name must be the first argument. Elsewhere the
     * word is what it always was ({@code eryx -c CODE serve} passes it in sys.argv), and the
     * one-shot command line is built without the subcommands, which keeps its start-up as short.
     */
    static boolean startsWithSubcommand(String... args) {
        return args.length > 0 && SUBCOMMANDS.contains(args[0]);
    }

    /**
     * As above; {@code subcommands} false leaves {@code mcp} and {@code serve} out (see {@link
     * #startsWithSubcommand}).
     */
    static CommandLine commandLine(
            InputStream stdin,
            BooleanSupplier stdinIsTerminal,
            OutputStream out,
            OutputStream err,
            UnaryOperator<String> hostEnvironment,
            boolean subcommands) {
        EryxCommand command = new EryxCommand(stdin, stdinIsTerminal, hostEnvironment);
        ProcessOutput[] outputs = ProcessOutput.pair(out, err);
        command.stdout = outputs[0];
        command.stderr = outputs[1];
        CommandLine cl = new CommandLine(command);
        if (subcommands) {
            // Added before the settings below, which reach only the subcommands already there.
            cl.addSubcommand(new McpCommand(stdin, stdinIsTerminal, out, hostEnvironment));
            cl.addSubcommand(new ServeCommand(hostEnvironment));
        }
        cl.setStopAtPositional(true);
        cl.setOut(outputs[0].writer());
        cl.setErr(outputs[1].writer());
        cl.setParameterExceptionHandler((ex, args) -> reportUsageError(ex));
        cl.setExecutionExceptionHandler(
                (ex, commandLine, parseResult) -> command.reportFailure(ex));
        // Picocli passes only Exceptions to the handler; an Error (e.g. a failed static
        // initializer in the engine) must still become exit code 70, not a JVM stack dump.
        cl.setExecutionStrategy(
                parseResult -> {
                    try {
                        return new CommandLine.RunLast().execute(parseResult);
                    } catch (Error e) {
                        return command.reportFailure(e);
                    }
                });
        return cl;
    }

    @Override
    public Integer call() {
        Program program = program();
        if (program == null) {
            return repl();
        }
        Sandbox.Builder builder = sandboxBuilder(!json, program.guestStdin);
        try (Sandbox sandbox = build(builder)) {
            boolean ran = false;
            try {
                sandbox.execute(PythonSource.setArgv(program.argv));
                ExecutionResult result =
                        program.code != null
                                ? sandbox.execute(program.code)
                                : sandbox.execute(program.source, program.filename);
                ran = true;
                // What the process reports: the low 8 bits, so sys.exit(-1) and sys.exit(2**64)
                // are 255.
                int exitCode = result.exitCode() & 0xFF;
                if (json) {
                    out().println(JsonReport.success(result, exitCode));
                }
                return exitCode;
            } finally {
                flushOutputs();
                if (options.hasStagedVolume()) {
                    StagedReport.finish(sandbox.files(), commit && ran, commit, err());
                }
            }
        } finally {
            flushOutputs();
        }
    }

    /** What to run; {@code null} for the REPL. */
    private Program program() {
        List<String> positional = new ArrayList<>();
        if (script != null) {
            positional.add(script);
        }
        positional.addAll(args);
        if (code != null) {
            return new Program(code, null, null, prepend("-c", positional), stdin);
        }
        if (script == null) {
            if (stdinIsTerminal.getAsBoolean()) {
                if (json) {
                    throw usage(
                            "--json needs a program (-c CODE, SCRIPT or -); the REPL does not support it");
                }
                return null;
            }
            return new Program(null, readStdin(), "<stdin>", List.of(""), null);
        }
        if (script.equals("-")) {
            return new Program(null, readStdin(), "<stdin>", positional, null);
        }
        // The bytes as they are: the guest decodes them as CPython decodes a script.
        return new Program(null, readScript(Path.of(script)), script, positional, stdin);
    }

    private int repl() {
        // Configured before the terminal opens: bad options or packages are a usage error first.
        Sandbox.Builder builder = sandboxBuilder(true, null);
        return new Repl(() -> build(builder), out(), err()).run();
    }

    /** A configuration the library refuses (a mount over its files, too little memory) is usage. */
    private Sandbox build(Sandbox.Builder builder) {
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /** The sandbox of the options; output streamed live when asked. */
    Sandbox.Builder sandboxBuilder(boolean liveOutput, InputStream guestStdin) {
        Sandbox.Builder b = Sandbox.builder();
        try {
            options.template(hostEnvironment).accept(b);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (liveOutput && stdout != null) {
            b.stdoutBytes(stdout::writeGuest);
            b.stderrBytes(stderr::writeGuest);
        }
        if (guestStdin != null) {
            b.stdin(guestStdin);
        }
        return b;
    }

    /**
     * Prints a failure as the mode asks and returns its exit code; the handler of every failure.
     */
    int reportFailure(Throwable failure) {
        if (failure instanceof ParameterException) {
            return reportUsageError((ParameterException) failure);
        }
        int exitCode = ExitCodes.of(failure);
        if (json) {
            out().println(JsonReport.failure(failure, exitCode));
        } else if (failure instanceof PythonException) {
            err().print(((PythonException) failure).traceback());
        } else if (failure instanceof InterpreterExitException) {
            // os._exit(n): a process exit, with nothing to say.
        } else if (failure instanceof dev.eryx.CommitConflictException) {
            startLine();
            err().println("eryx: commit refused: " + failure.getMessage());
        } else if (failure instanceof SandboxCrashedException) {
            startLine();
            err().println("eryx: sandbox crashed: " + failure.getMessage());
        } else if (failure instanceof dev.eryx.EryxException) {
            startLine();
            err().println("eryx: " + failure.getMessage());
        } else {
            startLine();
            err().println("eryx: internal error: " + failure);
            for (Throwable cause = failure.getCause();
                    cause != null && cause != cause.getCause();
                    cause = cause.getCause()) {
                err().println("  caused by: " + cause);
            }
            if (System.getenv("ERYX_DEBUG") != null) {
                failure.printStackTrace(err());
            }
        }
        flushOutputs();
        return exitCode;
    }

    /**
     * A subcommand's options go after its name: given before it they would configure nothing.
     *
     * @throws ParameterException some were given
     */
    void refuseOwnOptions(CommandSpec subcommand) {
        if (code != null || json || commit || !options.isEmpty()) {
            throw new ParameterException(
                    subcommand.commandLine(),
                    "options go after the subcommand: eryx " + subcommand.name() + " [OPTIONS]");
        }
    }

    /** A short usage error, as GNU tools print it, rather than the whole help. */
    static int reportUsageError(ParameterException usage) {
        PrintWriter err = usage.getCommandLine().getErr();
        err.println("eryx: " + usage.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(usage, err);
        err.println(
                "Try '"
                        + usage.getCommandLine().getCommandSpec().qualifiedName()
                        + " --help' for more information.");
        err.flush();
        return ExitCodes.of(usage);
    }

    private void startLine() {
        if (stderr != null) {
            stderr.startLine();
        }
    }

    private byte[] readStdin() {
        try {
            return stdin.readAllBytes();
        } catch (IOException e) {
            throw usage("cannot read the program from stdin: " + e.getMessage());
        }
    }

    private byte[] readScript(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            if (SUBCOMMANDS.contains(script)) {
                // eryx --timeout 5s mcp: the subcommand is only one as the first argument.
                throw usage(
                        "can't open file '"
                                + path
                                + "': no such file (to run 'eryx "
                                + script
                                + "', give its name first: eryx "
                                + script
                                + " [OPTIONS])");
            }
            throw usage("can't open file '" + path + "': no such file");
        } catch (IOException e) {
            throw usage("can't open file '" + path + "': " + e.getMessage());
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * Flushes eryx's own text on both streams; never waits behind a guest write stuck on a pipe.
     */
    void flushOutputs() {
        if (stdout != null) {
            stdout.flush();
            stderr.flush();
        }
    }

    private PrintWriter out() {
        return spec.commandLine().getOut();
    }

    private PrintWriter err() {
        return spec.commandLine().getErr();
    }

    private static List<String> prepend(String first, List<String> rest) {
        List<String> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }

    /** The code as text ({@code -c}) or as a file's bytes (a script, or the program on stdin). */
    private static final class Program {
        final String code;
        final byte[] source;
        final String filename;
        final List<String> argv;
        final InputStream guestStdin;

        Program(
                String code,
                byte[] source,
                String filename,
                List<String> argv,
                InputStream guestStdin) {
            this.code = code;
            this.source = source;
            this.filename = filename;
            this.argv = List.copyOf(argv);
            this.guestStdin = guestStdin;
        }
    }
}
