package dev.eryx.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the Spring AI example: a Boot context from the starter alone, four tool calls. */
class SpringAiExampleTest {
    @Test
    void theStarterAloneGivesAWorkingRunPythonWithSessions() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        List<String> answers =
                SpringAiExample.run(new PrintStream(buffer, true, StandardCharsets.UTF_8));

        assertEquals("832040", answers.get(0));
        assertTrue(answers.get(1).contains("\"last\":832040"), answers.get(1));
        assertTrue(answers.get(2).contains("IndexError"), answers.get(2));
        assertTrue(answers.get(3).contains("[error: timeout]"), answers.get(3));
        assertTrue(buffer.toString(StandardCharsets.UTF_8).contains("832040"));
    }
}
