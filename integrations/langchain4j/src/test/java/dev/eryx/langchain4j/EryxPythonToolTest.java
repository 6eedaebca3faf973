package dev.eryx.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Verdict;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link EryxPythonTool} driven through LangChain4j's AI services by a scripted model. */
class EryxPythonToolTest {
    interface Assistant {
        String chat(@MemoryId Object memoryId, @UserMessage String message);
    }

    interface SingleUserAssistant {
        String chat(String message);
    }

    private static SandboxPool pool;
    private static EryxPythonTool tool;

    @BeforeAll
    static void start() {
        pool = SandboxPool.builder().minIdle(0).maxSize(2).build();
        tool = new EryxPythonTool(pool);
    }

    @AfterAll
    static void stop() {
        if (tool != null) {
            tool.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    private static Assistant assistant(ScriptedChatModel model) {
        return AiServices.builder(Assistant.class)
                .chatModel(model)
                .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20))
                .tools(tool)
                .build();
    }

    @Test
    void theToolResultReachesTheModel() {
        ScriptedChatModel model = new ScriptedChatModel();

        String answer = assistant(model).chat("first", "print(6 * 7)");

        assertEquals(ScriptedChatModel.ANSWER_PREFIX + "42", answer);
        assertEquals(2, model.requests.size(), "one request for the call, one with its result");
        ToolExecutionResultMessage result = model.lastToolResult();
        assertEquals("run_python", result.toolName());
        assertEquals("42", result.text());
        List<ToolSpecification> offered = model.requests.get(0).toolSpecifications();
        assertEquals(1, offered.size());
        assertEquals("run_python", offered.get(0).name());
    }

    @Test
    void stateCarriesOverWithinAMemoryIdAndNotAcrossThem() {
        ScriptedChatModel model = new ScriptedChatModel();
        Assistant assistant = assistant(model);

        assertEquals("tool said: (no output)", assistant.chat("alice", "x = 41"));
        assertEquals("tool said: 42", assistant.chat("alice", "print(x + 1)"));
        String other = assistant.chat("bob", "print(x)");

        assertTrue(other.contains("NameError"), other);
        assertTrue(tool.hasSession("alice"));
        assertTrue(tool.hasSession("bob"));
    }

    @Test
    void aServiceWithoutMemoryIdsSharesTheDefaultSession() {
        ScriptedChatModel model = new ScriptedChatModel();
        SingleUserAssistant assistant =
                AiServices.builder(SingleUserAssistant.class)
                        .chatModel(model)
                        .chatMemory(MessageWindowChatMemory.withMaxMessages(20))
                        .tools(tool)
                        .build();

        assistant.chat("shared = 'kept'");

        assertEquals("tool said: kept", assistant.chat("print(shared)"));
        assertTrue(tool.hasSession("default"));
    }

    @Test
    void aPythonErrorComesBackToTheModelAsTextWithTheTraceback() {
        ScriptedChatModel model = new ScriptedChatModel();
        Assistant assistant = assistant(model);

        String answer = assistant.chat("carol", "print('before')\n1 / 0");

        String text = model.lastToolResult().text();
        assertTrue(answer.endsWith(text), answer);
        assertTrue(text.startsWith("before\n"), text);
        assertTrue(text.contains("Traceback (most recent call last)"), text);
        assertTrue(text.contains("ZeroDivisionError: division by zero"), text);
        assertTrue(text.contains(Verdict.PYTHON_ERROR.wireName()), text);
        // The session survives its error.
        assertEquals("tool said: after", assistant.chat("carol", "print('after')"));
    }

    @Test
    void theTimeoutArgumentStopsTheCode() {
        ScriptedChatModel model = new ScriptedChatModel();

        String answer =
                assistant(model)
                        .chat("dave", "{\"code\": \"while True: pass\", \"timeout_ms\": 300}");

        assertTrue(answer.contains(Verdict.TIMEOUT.wireName()), answer);
        assertEquals("tool said: 1", assistant(model).chat("dave", "print(1)"));
    }

    @Test
    void theSpecificationHidesTheMemoryIdAndMakesTheTimeoutOptional() {
        List<ToolSpecification> specifications =
                ToolSpecifications.toolSpecificationsFrom(EryxPythonTool.class);

        assertEquals(1, specifications.size());
        ToolSpecification specification = specifications.get(0);
        assertEquals("run_python", specification.name());
        assertEquals(PythonTool.DESCRIPTION, specification.description());
        assertEquals(
                Set.of("code", "timeout_ms"), specification.parameters().properties().keySet());
        assertEquals(List.of("code"), specification.parameters().required());
    }

    @Test
    void theToolObjectOffersWhatTheProviderOffers() {
        ToolSpecification annotated =
                ToolSpecifications.toolSpecificationsFrom(EryxPythonTool.class).get(0);
        ToolSpecification provided = EryxToolProvider.toolSpecification();

        assertEquals(provided.name(), annotated.name());
        assertEquals(provided.description(), annotated.description());
        assertEquals(provided.parameters().required(), annotated.parameters().required());
        assertEquals(
                provided.parameters().properties().keySet(),
                annotated.parameters().properties().keySet());
        for (String name : provided.parameters().properties().keySet()) {
            assertEquals(
                    provided.parameters().properties().get(name),
                    annotated.parameters().properties().get(name),
                    name);
        }
    }

    @Test
    void withoutAMemoryIdEachCallIsStateless() {
        assertEquals("(no output)", tool.runPython(null, "y = 1", null));

        String text = tool.runPython(null, "print(y)", null);

        assertTrue(text.contains("NameError"), text);
    }

    @Test
    void resetForgetsTheSession() {
        tool.runPython("erin", "z = 1", null);
        assertTrue(tool.reset("erin"));
        assertFalse(tool.hasSession("erin"));

        assertTrue(tool.runPython("erin", "print(z)", null).contains("NameError"));
        assertFalse(tool.reset("nobody"));
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingRuns() {
        assertThrows(IllegalArgumentException.class, () -> tool.runPython("frank", "1", 0L));
        assertThrows(IllegalArgumentException.class, () -> tool.runPython("frank", null, null));
        assertFalse(tool.hasSession("frank"));
    }
}
