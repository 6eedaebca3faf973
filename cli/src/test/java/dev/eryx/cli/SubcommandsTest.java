package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.MountMode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/** {@code eryx mcp} and {@code eryx serve}: parsing and refusals; nothing here boots a sandbox. */
class SubcommandsTest {

    /** Parses as {@code Main} would, and returns the subcommand's object. */
    private static <T> T parse(Class<T> type, String... args) {
        CommandLine cl =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(new byte[0]),
                        () -> false,
                        new ByteArrayOutputStream(),
                        new ByteArrayOutputStream(),
                        name -> null);
        ParseResult result = cl.parseArgs(args);
        assertTrue(result.hasSubcommand(), "a subcommand: " + List.of(args));
        return type.cast(result.subcommand().commandSpec().userObject());
    }

    /** Runs with the given host environment (where the token comes from). */
    private static CliRun run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(new byte[0]),
                        () -> false,
                        out,
                        err,
                        env::get,
                        EryxCommand.startsWithSubcommand(args));
        int code = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
        return CliRun.of(code, out.toByteArray(), err.toByteArray());
    }

    @Test
    void serveFlags(@TempDir Path dir) {
        ServeCommand serve =
                parse(
                        ServeCommand.class,
                        "serve",
                        "--host",
                        "::1",
                        "--port",
                        "0",
                        "--pool-size",
                        "3",
                        "--max-sessions",
                        "5",
                        "--session-ttl",
                        "10m",
                        "--max-timeout",
                        "2m",
                        "--timeout",
                        "5s",
                        "--max-memory",
                        "128m",
                        "-v",
                        dir + ":/data:staged",
                        "--env",
                        "A=1",
                        "--allow-host",
                        "api.example.com");
        assertEquals("::1", serve.host);
        assertEquals(0, serve.port);
        assertEquals(3, serve.poolSize);
        assertEquals(5, serve.maxSessions);
        assertEquals(Duration.ofMinutes(10), serve.sessionTtl);
        assertEquals(Duration.ofMinutes(2), serve.maxTimeout);
        assertEquals(Duration.ofSeconds(5), serve.options.limits().executionTimeout());
        assertEquals(128L << 20, serve.options.limits().maxMemoryBytes());
        assertEquals(MountMode.STAGED, serve.options.volumes.get(0).mode());
        assertEquals(Map.of("A", "1"), serve.options.environment());
        assertEquals(List.of("api.example.com"), serve.options.networkPolicy().allowedHosts());
        assertTrue(serve.options.grantsHostAccess());
    }

    @Test
    void serveDefaults() {
        ServeCommand serve = parse(ServeCommand.class, "serve");
        assertEquals("127.0.0.1", serve.host);
        assertEquals(8080, serve.port);
        assertNull(serve.poolSize);
        assertNull(serve.maxTimeout);
        assertTrue(serve.options.isEmpty());
        assertFalse(serve.options.grantsHostAccess());
    }

    @Test
    void mcpFlags(@TempDir Path dir) {
        McpCommand mcp =
                parse(
                        McpCommand.class,
                        "mcp",
                        "--max-timeout",
                        "90s",
                        "--fuel",
                        "1000",
                        "--allow-localhost",
                        "-v",
                        dir + ":/work:rw");
        assertEquals(Duration.ofSeconds(90), mcp.maxTimeout);
        assertEquals(1000, mcp.options.limits().maxFuel());
        assertTrue(mcp.options.networkPolicy().allowsLocalhost());
        assertEquals(MountMode.READ_WRITE, mcp.options.volumes.get(0).mode());
    }

    @Test
    void theSandboxOptionsAreOneSetForAllThreeCommands() {
        CommandLine cl =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(new byte[0]),
                        () -> false,
                        new ByteArrayOutputStream(),
                        new ByteArrayOutputStream());
        List<String> mixin =
                new CommandLine(new SandboxOptions())
                        .getCommandSpec().options().stream().map(o -> o.longestName()).toList();
        assertTrue(mixin.containsAll(List.of("--timeout", "--volume", "--secret", "--package")));
        for (CommandLine command :
                List.of(cl, cl.getSubcommands().get("mcp"), cl.getSubcommands().get("serve"))) {
            for (String name : mixin) {
                assertTrue(
                        command.getCommandSpec().findOption(name) != null,
                        command.getCommandName() + " lacks " + name);
            }
        }
        assertNull(cl.getSubcommands().get("serve").getCommandSpec().findOption("--json"));
        assertNull(cl.getSubcommands().get("mcp").getCommandSpec().findOption("--commit"));
    }

    @Test
    void serveRefusesANonLoopbackHostWithoutAToken() {
        CliRun r = run(Map.of(), "serve", "--host", "0.0.0.0", "--port", "0");
        assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("eryx: refusing to serve on 0.0.0.0 without a token"), r.err);
        assertTrue(r.err.contains("ERYX_API_TOKEN"), r.err);
        assertTrue(r.err.contains("Try 'eryx serve --help'"), r.err);
        assertEquals("", r.out);
    }

    @Test
    void serveRefusesHostAccessWithoutAToken(@TempDir Path dir) {
        for (String[] grant :
                new String[][] {
                    {"-v", dir + ":/data"}, {"--allow-localhost"}, {"--secret", "K@a.example"}
                }) {
            String[] args = new String[grant.length + 3];
            args[0] = "serve";
            args[1] = "--port";
            args[2] = "0";
            System.arraycopy(grant, 0, args, 3, grant.length);
            CliRun r = run(Map.of("K", "a-secret-value"), args);
            assertEquals(ExitCodes.USAGE, r.exitCode, List.of(args) + ": " + r);
            assertTrue(r.err.contains("host access"), r.err);
            assertTrue(r.err.contains("ERYX_API_TOKEN"), r.err);
        }
    }

    @Test
    void serveRefusesABadTokenAndBadNumbers() {
        CliRun blank = run(Map.of("ERYX_API_TOKEN", "  "), "serve", "--port", "0");
        assertEquals(ExitCodes.USAGE, blank.exitCode, blank.toString());
        assertTrue(blank.err.startsWith("eryx: ERYX_API_TOKEN: "), blank.err);
        CliRun pool = run(Map.of(), "serve", "--pool-size", "0");
        assertEquals(ExitCodes.USAGE, pool.exitCode, pool.toString());
        assertTrue(pool.err.contains("--pool-size must be at least 1"), pool.err);
        CliRun max = run(Map.of(), "serve", "--timeout", "1m", "--max-timeout", "10s");
        assertEquals(ExitCodes.USAGE, max.exitCode, max.toString());
        assertTrue(max.err.contains("--max-timeout must be at least --timeout"), max.err);
    }

    @Test
    void usageErrorsNameTheSubcommand() {
        for (String[] args :
                new String[][] {
                    {"serve", "--port", "http"},
                    {"serve", "--session-ttl", "none"},
                    {"mcp", "--max-timeout", "none"},
                    {"mcp", "--bogus"},
                    {"mcp", "extra"},
                }) {
            CliRun r = run(Map.of(), args);
            assertEquals(ExitCodes.USAGE, r.exitCode, List.of(args) + ": " + r);
            assertTrue(r.err.startsWith("eryx: "), r.err);
            assertTrue(r.err.contains("Try 'eryx " + args[0] + " --help'"), r.err);
            assertEquals("", r.out);
        }
    }

    @Test
    void aSubcommandIsOneOnlyAsTheFirstArgument() {
        assertTrue(EryxCommand.startsWithSubcommand("mcp", "--timeout", "5s"));
        assertTrue(EryxCommand.startsWithSubcommand("serve"));
        assertFalse(EryxCommand.startsWithSubcommand("-c", "pass", "serve"));
        assertFalse(EryxCommand.startsWithSubcommand("--", "mcp"));
        assertFalse(EryxCommand.startsWithSubcommand());
        // As Main runs it: the options first make "mcp" a script, and the message says so.
        CliRun r = run(Map.of(), "--timeout", "5s", "mcp");
        assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.contains("can't open file 'mcp'"), r.err);
        assertTrue(r.err.contains("give its name first: eryx mcp [OPTIONS]"), r.err);
    }

    @Test
    void inTheFullCommandModelOptionsBeforeTheSubcommandAreRefused() {
        CommandLine cl =
                EryxCommand.commandLine(
                        new ByteArrayInputStream(new byte[0]),
                        () -> false,
                        new ByteArrayOutputStream(),
                        new ByteArrayOutputStream(),
                        name -> null);
        assertEquals(ExitCodes.USAGE, cl.execute("--timeout", "5s", "mcp"));
    }

    @Test
    void help() {
        CliRun main = run(Map.of(), "--help");
        assertEquals(0, main.exitCode, main.toString());
        assertTrue(main.out.contains("'eryx mcp --help'"), main.out);
        assertTrue(main.out.contains("eryx mcp [OPTIONS]"), main.out);
        assertTrue(main.out.contains("eryx serve [OPTIONS]"), main.out);
        CliRun mcp = run(Map.of(), "mcp", "--help");
        assertEquals(0, mcp.exitCode, mcp.toString());
        assertTrue(mcp.out.contains("run_python"), mcp.out);
        assertTrue(mcp.out.contains("--max-timeout=DURATION"), mcp.out);
        assertTrue(mcp.out.contains("--allow-host=HOST"), mcp.out);
        assertTrue(mcp.out.contains("stderr"), mcp.out);
        CliRun serve = run(Map.of(), "serve", "--help");
        assertEquals(0, serve.exitCode, serve.toString());
        assertTrue(serve.out.contains("ERYX_API_TOKEN"), serve.out);
        assertTrue(serve.out.contains("--session-ttl=DURATION"), serve.out);
        assertTrue(serve.out.contains("--max-memory=SIZE"), serve.out);
        assertFalse(serve.out.contains("--token"), "never a flag: " + serve.out);
    }
}
