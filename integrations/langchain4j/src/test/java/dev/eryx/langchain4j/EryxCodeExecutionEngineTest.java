package dev.eryx.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.ResourceLimits;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;
import dev.langchain4j.code.CodeExecutionEngine;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EryxCodeExecutionEngineTest {
    private static SandboxPool pool;
    private static EryxCodeExecutionEngine engine;

    @BeforeAll
    static void start() {
        pool = SandboxPool.builder().minIdle(0).maxSize(2).build();
        engine = new EryxCodeExecutionEngine(pool);
    }

    @AfterAll
    static void stop() {
        if (engine != null) {
            engine.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void returnsStdoutStderrAndTheResultNotOnlyTheLastValue() {
        CodeExecutionEngine asLangChain4jSeesIt = engine;

        String text =
                asLangChain4jSeesIt.execute(
                        "import sys\nprint('hello')\nprint('careful', file=sys.stderr)\nresult = 6 * 7");

        assertTrue(text.startsWith("hello\n"), text);
        assertTrue(text.contains("careful"), text);
        assertTrue(text.indexOf("careful") < text.indexOf("42"), text);
        assertTrue(text.endsWith("42"), text);
    }

    @Test
    void saysSoWhenThereIsNoOutput() {
        assertEquals("(no output)", engine.execute("x = 1"));
    }

    @Test
    void eachCallIsAFreshSandbox() {
        engine.execute("leftover = 1");

        assertTrue(engine.execute("print(leftover)").contains("NameError"));
    }

    @Test
    void aPythonErrorIsReturnedAsTextWithTheOutputBeforeIt() {
        String text = engine.execute("print('partial')\n1 / 0");

        assertTrue(text.startsWith("partial\n"), text);
        assertTrue(text.contains(Verdict.PYTHON_ERROR.wireName()), text);
        assertTrue(text.contains("Traceback (most recent call last)"), text);
        assertTrue(text.contains("ZeroDivisionError: division by zero"), text);
    }

    @Test
    void aSyntaxErrorIsReturnedAsText() {
        String text = engine.execute("def broken(:\n    pass");

        assertTrue(text.contains("SyntaxError"), text);
    }

    @Test
    void aBusyPoolThrowsRatherThanAnswerWithText() {
        try (SandboxPool one =
                        SandboxPool.builder()
                                .minIdle(0)
                                .maxSize(1)
                                .acquireTimeout(Duration.ofMillis(100))
                                .build();
                EryxCodeExecutionEngine busy = new EryxCodeExecutionEngine(one);
                PooledSandbox held = one.acquire()) {
            assertThrows(PoolExhaustedException.class, () -> busy.execute("print(1)"));
        }
    }

    @Test
    void nullCodeIsRefused() {
        assertThrows(NullPointerException.class, () -> engine.execute(null));
    }

    @Test
    void anEngineWithLimitsOfItsOwnStopsRunawayCodeAndClosesItsPool() {
        EryxCodeExecutionEngine limited =
                EryxCodeExecutionEngine.create(
                        ResourceLimits.builder().executionTimeout(Duration.ofMillis(300)).build());
        try {
            String text = limited.execute("print('started', flush=True)\nwhile True: pass");

            assertTrue(text.startsWith("started"), text);
            assertTrue(text.contains(Verdict.TIMEOUT.wireName()), text);
            assertEquals("ok", limited.execute("print('ok')"));
        } finally {
            limited.close();
            limited.close();
        }
        assertThrows(IllegalStateException.class, () -> limited.execute("print(1)"));
    }
}
