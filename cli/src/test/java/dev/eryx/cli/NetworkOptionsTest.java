package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.NetworkPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** --allow-host and --allow-localhost; none of these tests boots a sandbox. */
class NetworkOptionsTest {
    private static EryxCommand parse(String... args) {
        EryxCommand command = new EryxCommand(System.in, () -> false);
        new CommandLine(command).setStopAtPositional(true).parseArgs(args);
        return command;
    }

    @Test
    void noOptionNoNetwork() {
        assertNull(parse("-c", "pass").options.networkPolicy());
    }

    @Test
    void allowHostIsRepeatableAndNormalized() {
        NetworkPolicy p =
                parse(
                                "--allow-host",
                                "API.example.com",
                                "--allow-host=*.example.org:443",
                                "-c",
                                "pass")
                        .options
                        .networkPolicy();
        assertEquals(List.of("api.example.com", "*.example.org:443"), p.allowedHosts());
        assertFalse(p.allowsLocalhost());
        assertFalse(p.allowsPrivateNetworks());
    }

    @Test
    void allowLocalhostAloneEnablesTheNetwork() {
        NetworkPolicy p = parse("--allow-localhost", "-c", "pass").options.networkPolicy();
        assertTrue(p.allowsLocalhost());
        assertEquals(List.of(), p.allowedHosts());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "https://api.example.com/",
                "*",
                "a.*.com",
                "x.com:0",
                "x.com:99999",
                "a..b",
                "a b"
            })
    void badPatternsExitWith2(String pattern) {
        CliRun r = CliRun.run("--allow-host", pattern, "-c", "pass");
        assertEquals(ExitCodes.USAGE, r.exitCode, r.toString());
        assertTrue(r.err.startsWith("eryx: "), r.toString());
        assertTrue(r.err.contains("Invalid value for option '--allow-host'"), r.toString());
        assertTrue(r.err.contains("bad host pattern"), r.toString());
        assertEquals("", r.out);
    }

    @Test
    void urlMessageSaysToGiveAHost() {
        CliRun r = CliRun.run("--allow-host", "https://api.example.com/v1", "-c", "pass");
        assertTrue(
                r.err.contains("give a host name such as api.example.com, not a URL"),
                r.toString());
    }

    @Test
    void helpNamesTheOptions() {
        CliRun r = CliRun.run("--help");
        assertEquals(0, r.exitCode, r.toString());
        assertTrue(r.out.contains("--allow-host=HOST"), r.out);
        assertTrue(r.out.contains("--allow-localhost"), r.out);
    }
}
