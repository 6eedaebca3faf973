package dev.eryx.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs the LangChain4j example offline: the second answer builds on the first call's state. */
class LangChain4jExampleTest {
    @Test
    void eachUserSessionKeepsItsVariablesBetweenQuestions() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);

        List<String> answers = LangChain4jExample.run(new LangChain4jExample.ScriptedModel(), out);

        String squares = "Python says:\n[1, 4, 9, 16, 25, 36, 49, 64, 81, 100]";
        String sum = "Python says:\n[result]\n385";
        assertEquals(List.of(squares, sum, squares, sum), answers);
        assertTrue(buffer.toString(StandardCharsets.UTF_8).contains("grace: And their sum?"));
    }
}
