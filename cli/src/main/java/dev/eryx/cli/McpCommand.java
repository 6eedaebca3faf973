package dev.eryx.cli;

import dev.eryx.mcp.EryxMcpServer;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code eryx mcp}: an MCP server on stdin/stdout for one client, whose connection is one Python
 * session. Stdout carries only the protocol; everything else (logs, warnings) goes to stderr.
 */
@Command(
        name = "mcp",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "",
            "Serves the Model Context Protocol on stdin/stdout to the one client that",
            "starts this command (Claude Desktop, an IDE, an agent framework). Tools:",
            "run_python (code, optional timeout_ms), reset and list_files. The connection",
            "is one Python session: variables, imports and files persist across calls",
            "until reset. Python errors, timeouts and limits are tool results with",
            "isError, never protocol errors. Stdout carries only JSON-RPC; logs go to",
            "stderr (warnings; ERYX_DEBUG=1 for more). Ends when stdin ends.",
            "The sandbox options are those of 'eryx -c'.",
            "",
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Stdin ended (the client closed the connection).",
            "2:Usage error.",
            "70:Internal error.",
        })
final class McpCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ParentCommand EryxCommand parent;

    @Option(
            names = "--max-timeout",
            paramLabel = "DURATION",
            converter = Converters.FiniteDurationConverter.class,
            description =
                    "The longest time limit a call may ask for with timeout_ms, and the limit of a"
                            + " call that asks none (default: --timeout, 30s).")
    Duration maxTimeout;

    /** Limits, mounts, environment, secrets, packages, network: as for {@code eryx -c}. */
    @Mixin SandboxOptions options;

    private final InputStream stdin;
    private final BooleanSupplier stdinIsTerminal;
    private final OutputStream stdout;
    private final UnaryOperator<String> hostEnvironment;

    McpCommand(
            InputStream stdin,
            BooleanSupplier stdinIsTerminal,
            OutputStream stdout,
            UnaryOperator<String> hostEnvironment) {
        this.stdin = Objects.requireNonNull(stdin, "stdin");
        this.stdinIsTerminal = Objects.requireNonNull(stdinIsTerminal, "stdinIsTerminal");
        this.stdout = Objects.requireNonNull(stdout, "stdout");
        this.hostEnvironment = Objects.requireNonNull(hostEnvironment, "hostEnvironment");
    }

    @Override
    public Integer call() {
        if (parent != null) {
            parent.refuseOwnOptions(spec);
        }
        SandboxPool pool = buildPool();
        PythonTool.Builder tool = PythonTool.builder().pool(pool).ownsPool(true);
        if (maxTimeout != null) {
            tool.maxTimeout(maxTimeout);
        }
        // The protocol owns stdout: whatever else would print there (a library's stray println)
        // goes to stderr instead while the server runs.
        PrintStream systemOut = System.out;
        System.setOut(System.err);
        try (EryxMcpServer server =
                EryxMcpServer.builder()
                        .tool(tool.build())
                        .ownsTool(true)
                        .version(VersionProvider.eryxVersion())
                        .build()) {
            if (stdinIsTerminal.getAsBoolean()) {
                spec.commandLine()
                        .getErr()
                        .println(
                                "eryx: MCP server on stdin/stdout, waiting for a client's JSON-RPC"
                                        + " (Ctrl-D ends)");
                spec.commandLine().getErr().flush();
            }
            server.serveStdio(stdin, stdout);
        } finally {
            System.setOut(systemOut);
        }
        return ExitCodes.SUCCESS;
    }

    /**
     * A pool of one: the connection's session is a sandbox of the pool's own (not counted against
     * its size), so the pool holds the image and the template. One sandbox is made at once, so a
     * template the library refuses (a mount over /usr, too little memory) is a usage error now
     * rather than a failure of the first call.
     */
    private SandboxPool buildPool() {
        SandboxOptions.Resolved sandbox = options.resolve(hostEnvironment, spec);
        SandboxPool.Builder b =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(1)
                        .resourceLimits(sandbox.limits())
                        .template(sandbox.template());
        if (sandbox.packages() != null) {
            b.packages(sandbox.packages());
        }
        SandboxPool pool;
        try {
            pool = b.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        try {
            pool.newSandbox().close();
            return pool;
        } catch (IllegalArgumentException e) {
            pool.close();
            throw usage(e.getMessage());
        } catch (RuntimeException | Error e) {
            pool.close();
            throw e;
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
