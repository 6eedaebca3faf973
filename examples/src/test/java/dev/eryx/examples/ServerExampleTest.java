package dev.eryx.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ServerExampleTest {
    @Test
    void runsStatelessAndSessionCallsOverLoopback() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ServerExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("execute: verdict ok, stdout \"45\\n\""), out);
        assertTrue(out.contains("execute: verdict python_error, ZeroDivisionError"), out);
        assertTrue(out.matches("(?s).*session \\S+: stdout \"42\\\\n\".*"), out);
        assertTrue(out.matches("(?s).*resumed as \\S+: stdout \"42\\\\n\".*"), out);
    }
}
