package dev.eryx.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;

/** The REPL on a dumb terminal fed from a string; one sandbox for the session. */
class ReplTest {

    @Test
    void session() throws Exception {
        String typed =
                String.join(
                                "\n",
                                "x = 20",
                                "x + 22",
                                "for i in range(2):",
                                "    print(i)",
                                "",
                                "items = [1,",
                                "         2]",
                                "items",
                                "1/0",
                                "print('still here', x)",
                                "")
                        + "\n";
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Repl repl =
                new Repl(
                        () ->
                                Sandbox.builder()
                                        .stdout(text -> out.write(text))
                                        .stderr(text -> err.write(text))
                                        .build(),
                        new PrintWriter(out, true),
                        new PrintWriter(err, true));
        int exitCode;
        try (Terminal terminal =
                new DumbTerminal(
                        "test",
                        Terminal.TYPE_DUMB,
                        new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)),
                        screen,
                        StandardCharsets.UTF_8)) {
            exitCode = repl.run(terminal, null); // ends at end of input, as with Ctrl-D
        }
        String shown = out.toString();
        assertEquals(0, exitCode);
        assertTrue(
                shown.contains("42\n0\n1\n[1, 2]\nstill here 20\n"),
                shown
                        + "\n--- err:\n"
                        + err
                        + "\n--- screen:\n"
                        + screen.toString(StandardCharsets.UTF_8));
        assertTrue(err.toString().contains("ZeroDivisionError: division by zero"), err.toString());
        assertTrue(screen.toString(StandardCharsets.UTF_8).contains("... "), "continuation prompt");
    }

    @Test
    void ctrlCCancelsTheRunningStatementAndKeepsTheSession() throws Exception {
        String typed =
                "x = 'kept'\n"
                        + "while True:\n"
                        + "    if 'said' not in globals(): said = print('looping')\n"
                        + "\n"
                        + "print('after', globals().get('x'))\n";
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Repl repl =
                new Repl(
                        () ->
                                Sandbox.builder()
                                        .resourceLimits(
                                                ResourceLimits.defaults().toBuilder()
                                                        .executionTimeout(Duration.ofSeconds(20))
                                                        .build())
                                        .stdout(text -> out.write(text))
                                        .stderr(text -> err.write(text))
                                        .build(),
                        new PrintWriter(out, true),
                        new PrintWriter(err, true));
        try (Terminal terminal =
                new DumbTerminal(
                        "test",
                        Terminal.TYPE_DUMB,
                        new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayOutputStream(),
                        StandardCharsets.UTF_8)) {
            Thread ctrlC =
                    new Thread(
                            () -> {
                                try {
                                    while (!out.toString()
                                            .contains("looping\n")) { // inside the endless loop
                                        Thread.sleep(50);
                                    }
                                    Thread.sleep(200);
                                    terminal.raise(Terminal.Signal.INT);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            });
            ctrlC.setDaemon(true);
            ctrlC.start();
            assertEquals(0, repl.run(terminal, null));
        }
        assertTrue(err.toString().contains("KeyboardInterrupt"), err.toString());
        // The session survives either way; the definitions survive when the guest honoured the
        // cooperative KeyboardInterrupt in time (else the runtime stops it and we restart).
        boolean restarted = err.toString().contains("the interpreter had to be restarted");
        assertTrue(
                out.toString().contains(restarted ? "after None\n" : "after kept\n"),
                out + "\n--- err:\n" + err);
    }

    @Test
    void exitEndsTheSessionWithItsStatus() throws Exception {
        String typed = "print('before')\nexit(4)\nprint('after')\n";
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Repl repl =
                new Repl(
                        () -> Sandbox.builder().stdout(text -> out.write(text)).build(),
                        new PrintWriter(out, true),
                        new PrintWriter(err, true));
        try (Terminal terminal =
                new DumbTerminal(
                        "test",
                        Terminal.TYPE_DUMB,
                        new ByteArrayInputStream(typed.getBytes(StandardCharsets.UTF_8)),
                        new ByteArrayOutputStream(),
                        StandardCharsets.UTF_8)) {
            assertEquals(4, repl.run(terminal, null));
        }
        assertTrue(out.toString().contains("before\n"), out.toString());
        assertFalse(out.toString().contains("after"), out.toString());
    }
}
